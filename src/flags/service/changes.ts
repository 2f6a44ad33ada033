import { createHash } from 'node:crypto';
import { canonicalJson } from '../../audit/index.js';
import { FlowlineError } from '../../core/errors.js';
import type { FlagDefinition, FlagSetDefinition } from '../engine/types.js';
import type { FlagAction } from './types.js';

/** Pure helpers for flag set changes: ETags, mutations, and what a new version changed. */

/** The definition of a service and environment that has never been written. */
export function emptyDefinition(service: string, environment: string): FlagSetDefinition {
  return { service, environment, flags: {} };
}

/**
 * The ETag of a version: a hash of the version and the JSON, quoted. Including the version means
 * a flag turned off and on again has a new ETag, so `If-Match` refuses anything read before.
 */
export function etagOf(version: number, definitionJson: string): string {
  const hash = createHash('sha256').update(`${version}\n${definitionJson}`, 'utf8').digest('hex');
  return `"${hash.slice(0, 32)}"`;
}

/** True when an `If-Match` / `If-None-Match` header names `etag` (lists and `*` included). */
export function etagMatches(header: string, etag: string, weak = false): boolean {
  for (const part of header.split(',')) {
    const candidate = part.trim();
    if (candidate === '*') return true;
    if (candidate === etag) return true;
    if (weak && candidate.startsWith('W/') && candidate.slice(2) === etag) return true;
  }
  return false;
}

/** The definition as stored: labelled with its service and environment. */
export function labelled(definition: unknown, service: string, environment: string): FlagSetDefinition {
  if (typeof definition !== 'object' || definition === null || Array.isArray(definition)) {
    throw invalid('', 'a flag set must be an object with `flags`');
  }
  const set = definition as FlagSetDefinition;
  if (set.service !== undefined && set.service !== service) {
    throw invalid('service', `the definition is for service \`${set.service}\`, not \`${service}\``);
  }
  if (set.environment !== undefined && set.environment !== environment) {
    throw invalid(
      'environment',
      `the definition is for environment \`${set.environment}\`, not \`${environment}\``,
    );
  }
  const { service: _service, environment: _environment, ...rest } = set;
  return { service, environment, ...rest };
}

function invalid(path: string, message: string): FlowlineError {
  return new FlowlineError('FLOWLINE_FLAGS_INVALID', `the flag set is invalid: ${message}`, {
    location: { path },
    issues: [{ code: 'invalid_value', message, path }],
    hint: 'Leave `service` and `environment` out, or make them match the URL.',
  });
}

/** The result of applying one action to a flag: the new set and a line for people. */
export interface Mutation {
  readonly definition: FlagSetDefinition;
  readonly summary: string;
}

/** Applies enable/disable/kill/unkill to one flag; FLOWLINE_FLAG_NOT_FOUND when it is not there. */
export function applyAction(
  set: FlagSetDefinition,
  key: string,
  action: FlagAction,
  variant: string | undefined,
): Mutation {
  const flag = flagOf(set, key);
  let next: FlagDefinition;
  let summary: string;
  if (action === 'enable' || action === 'disable') {
    next = { ...flag, enabled: action === 'enable' };
    summary = `${action}d ${key}`;
  } else if (action === 'kill') {
    const { killVariant: _old, ...rest } = flag;
    next = { ...rest, killed: true, ...(variant === undefined ? {} : { killVariant: variant }) };
    summary = `killed ${key} (serving ${variant ?? flag.defaultVariant})`;
  } else {
    const { killed: _killed, killVariant: _variant, ...rest } = flag;
    next = rest;
    summary = `lifted the kill switch of ${key}`;
  }
  return { definition: withFlag(set, key, next), summary };
}

/** The set with one flag replaced (or added at the end). */
export function withFlag(set: FlagSetDefinition, key: string, flag: FlagDefinition): FlagSetDefinition {
  return { ...set, flags: { ...set.flags, [key]: flag } };
}

export function flagOf(set: FlagSetDefinition, key: string): FlagDefinition {
  const flag = Object.hasOwn(set.flags, key) ? set.flags[key] : undefined;
  if (flag === undefined) {
    const service = set.service ?? '?';
    const environment = set.environment ?? '?';
    throw new FlowlineError(
      'FLOWLINE_FLAG_NOT_FOUND',
      `No flag \`${key}\` in the flags of ${service}/${environment}.`,
      {
        hint: `List them with \`flowline flags list --service ${service} --env ${environment}\`.`,
      },
    );
  }
  return flag;
}

/** How two versions of a set differ, flag by flag (segments and set metadata count as `*`). */
export interface SetChanges {
  readonly created: readonly string[];
  readonly updated: readonly string[];
  readonly deleted: readonly string[];
  /** Segments or set metadata changed: every flag may answer differently. */
  readonly shared: boolean;
}

export function changesBetween(before: FlagSetDefinition, after: FlagSetDefinition): SetChanges {
  const created: string[] = [];
  const updated: string[] = [];
  const deleted: string[] = [];
  for (const [key, flag] of Object.entries(after.flags)) {
    const old = Object.hasOwn(before.flags, key) ? before.flags[key] : undefined;
    if (old === undefined) created.push(key);
    else if (canonicalJson(old) !== canonicalJson(flag)) updated.push(key);
  }
  for (const key of Object.keys(before.flags)) if (!Object.hasOwn(after.flags, key)) deleted.push(key);
  const shared =
    canonicalJson(before.segments ?? {}) !== canonicalJson(after.segments ?? {}) ||
    canonicalJson(before.metadata ?? {}) !== canonicalJson(after.metadata ?? {});
  return { created, updated, deleted, shared };
}

export function isUnchanged(changes: SetChanges): boolean {
  return changes.created.length + changes.updated.length + changes.deleted.length === 0 && !changes.shared;
}

/** `2 created (a, b), 1 updated (c), segments changed`. */
export function describeChanges(changes: SetChanges): string {
  const parts: string[] = [];
  const list = (keys: readonly string[]) =>
    keys.length <= 5 ? keys.join(', ') : `${keys.slice(0, 5).join(', ')}, …`;
  if (changes.created.length > 0) parts.push(`${changes.created.length} created (${list(changes.created)})`);
  if (changes.updated.length > 0) parts.push(`${changes.updated.length} updated (${list(changes.updated)})`);
  if (changes.deleted.length > 0) parts.push(`${changes.deleted.length} deleted (${list(changes.deleted)})`);
  if (changes.shared) parts.push('segments or set metadata changed');
  return parts.length === 0 ? 'no change' : parts.join(', ');
}
