import { createHash } from 'node:crypto';
import type { Actor, Where } from './types.js';

/** The `prevHash` of event #1. */
export const GENESIS_HASH = '0'.repeat(64);

/** Every field of an event that its hash covers. */
export interface HashedFields {
  readonly seq: number;
  readonly id: string;
  readonly at: string;
  readonly actor: Actor;
  readonly action: string;
  readonly target: string;
  readonly where: Where;
  readonly details: Readonly<Record<string, unknown>>;
  readonly prevHash: string;
}

/**
 * JSON with object keys sorted at every depth, so the same event always serialises to the same
 * bytes — whichever order its fields were built in, and however the database stores the JSON.
 */
export function canonicalJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map((v) => canonicalJson(v ?? null)).join(',')}]`;
  if (value !== null && typeof value === 'object') {
    const entries = Object.entries(value)
      .filter(([, v]) => v !== undefined)
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
      .map(([k, v]) => `${JSON.stringify(k)}:${canonicalJson(v)}`);
    return `{${entries.join(',')}}`;
  }
  return JSON.stringify(value) ?? 'null';
}

/** sha256 (hex) of the canonical serialisation of all of an event's fields, `prevHash` included. */
export function eventHash(fields: HashedFields): string {
  const { seq, id, at, actor, action, target, where, details, prevHash } = fields;
  const canonical = canonicalJson({ seq, id, at, actor, action, target, where, details, prevHash });
  return createHash('sha256').update(canonical, 'utf8').digest('hex');
}
