import type { AuditEventRow } from '../store/index.js';
import type { AuditEvent, Where } from './types.js';

/** Stands in for a JSON column that no longer parses, so `audit list` still shows the event. */
const DAMAGED = { damaged: 'the stored JSON does not parse; run `flowline audit verify`' };

/**
 * An event read back from its row. A JSON column that no longer parses (only tampering does
 * that) yields `undefined` when `strict` (verify), a visible placeholder otherwise (list).
 */
export function rowToEvent(row: AuditEventRow, strict: true): AuditEvent | undefined;
export function rowToEvent(row: AuditEventRow, strict: false): AuditEvent;
export function rowToEvent(row: AuditEventRow, strict: boolean): AuditEvent | undefined {
  const where = parseObject(row.where_json);
  const details = parseObject(row.details_json);
  if (strict && (where === undefined || details === undefined)) return undefined;
  return {
    seq: row.seq,
    id: row.id,
    at: row.at,
    actor: { kind: row.actor_kind, name: row.actor_name },
    action: row.action,
    target: row.target,
    where: (where ?? { host: 'unknown', ...DAMAGED }) as unknown as Where,
    details: details ?? DAMAGED,
    prevHash: row.prev_hash,
    hash: row.hash,
  };
}

function parseObject(text: string): Record<string, unknown> | undefined {
  try {
    const value: unknown = JSON.parse(text);
    return value !== null && typeof value === 'object' && !Array.isArray(value)
      ? (value as Record<string, unknown>)
      : undefined;
  } catch {
    return undefined;
  }
}
