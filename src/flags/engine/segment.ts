import { type CompileScope, describe, isRecord, join } from './check.js';
import type { Predicate } from './conditions.js';
import { attributeGetter, canonical } from './values.js';

/**
 * A segment compiles to one predicate: excluded keys never match, included keys always do, and
 * anyone else matches when the segment's `when` does. The key lists become Sets.
 */
export function compileSegment(
  raw: unknown,
  path: string,
  scope: CompileScope,
  compileWhen: (when: unknown, path: string) => Predicate | undefined,
): Predicate | undefined {
  if (!isRecord(raw))
    return scope.error('invalid_type', `a segment must be an object, got ${describe(raw)}`, path);
  scope.onlyKeys(raw, ['description', 'keyAttribute', 'include', 'exclude', 'when'], path);
  if (raw.description !== undefined && typeof raw.description !== 'string') {
    scope.error('invalid_type', '`description` must be text', join(path, 'description'));
  }
  const keyAttribute =
    raw.keyAttribute === undefined
      ? 'targetingKey'
      : scope.text(raw.keyAttribute, join(path, 'keyAttribute'), '`keyAttribute`');
  const include = keyList(raw.include, join(path, 'include'), scope);
  const exclude = keyList(raw.exclude, join(path, 'exclude'), scope);
  if (
    include !== undefined &&
    exclude !== undefined &&
    include.size + exclude.size > scope.limits.maxSegmentKeys
  ) {
    scope.error(
      'too_many_keys',
      `${include.size + exclude.size} keys in \`include\` and \`exclude\`, more than ${scope.limits.maxSegmentKeys}`,
      path,
      'target by an attribute (plan, company, country) instead of listing users',
    );
    return undefined;
  }
  const when = raw.when === undefined ? undefined : compileWhen(raw.when, join(path, 'when'));
  if (keyAttribute === undefined || include === undefined || exclude === undefined) return undefined;
  if (raw.when !== undefined && when === undefined) return undefined;
  if (include.size === 0 && when === undefined) {
    scope.warn('empty_segment', 'the segment has neither `include` nor `when`, so it matches nobody', path);
  }
  const getKey = attributeGetter(keyAttribute);
  if (include.size === 0 && exclude.size === 0) return when ?? (() => false);
  return (context, now) => {
    const key = canonical(getKey(context, now));
    if (key !== undefined) {
      if (exclude.has(key)) return false;
      if (include.has(key)) return true;
    }
    return when?.(context, now) === true;
  };
}

function keyList(raw: unknown, path: string, scope: CompileScope): Set<string> | undefined {
  if (raw === undefined) return new Set();
  if (!Array.isArray(raw)) return scope.error('invalid_type', 'a list of keys was expected', path);
  const keys = new Set<string>();
  raw.forEach((key, index) => {
    const text = canonical(key);
    if (text === undefined || text.length > scope.limits.maxStringLength) {
      scope.error('invalid_value', `a key must be text or a number, got ${describe(key)}`, join(path, index));
    } else {
      keys.add(text);
    }
  });
  return keys;
}
