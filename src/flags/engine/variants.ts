import { type CompileScope, describe, isRecord, join } from './check.js';
import { frozenCopy } from './results.js';
import type { FlagType, FlagValue, MetadataValue } from './types.js';

/** Variants and their types, flag metadata, and boolean fields of a flag definition. */

/**
 * Checks each variant's value against the flag's type. A default variant of the wrong type is
 * reported at `defaultVariant` (`default_variant_type`), any other at the variant itself.
 */
export function compileVariants(
  raw: unknown,
  type: FlagType,
  path: string,
  scope: CompileScope,
  defaultVariant: { readonly name: unknown; readonly path: string },
): Map<string, FlagValue> | undefined {
  if (!isRecord(raw) || Object.keys(raw).length === 0) {
    return scope.error('invalid_variants', '`variants` must map at least one name to a value', path);
  }
  const names = Object.keys(raw);
  if (names.length > scope.limits.maxVariants) {
    return scope.error(
      'too_many_variants',
      `${names.length} variants, more than ${scope.limits.maxVariants}`,
      path,
    );
  }
  const variants = new Map<string, FlagValue>();
  for (const name of names) {
    const value = raw[name];
    const at = join(path, name);
    if (scope.text(name, at, 'a variant name') === undefined) continue;
    if (!matchesType(value, type) && name === defaultVariant.name) {
      scope.error(
        'default_variant_type',
        `the default variant \`${name}\` is ${describe(value)}, not a ${type}`,
        defaultVariant.path,
        `name a variant whose value is a ${type}, or change the flag \`type\``,
      );
      continue;
    }
    if (!matchesType(value, type)) {
      scope.error(
        'variant_type',
        `variant \`${name}\` is ${describe(value)}; the flag's type is ${type}`,
        at,
        'change the value, or the flag `type`',
      );
      continue;
    }
    variants.set(name, frozenCopy(value as FlagValue));
  }
  return variants.size === names.length ? variants : undefined;
}

export function matchesType(value: unknown, type: FlagType): boolean {
  switch (type) {
    case 'boolean':
      return typeof value === 'boolean';
    case 'string':
      return typeof value === 'string';
    case 'number':
      return typeof value === 'number' && Number.isFinite(value);
    case 'json':
      return isJson(value, 0);
  }
}

function isJson(value: unknown, depth: number): boolean {
  if (depth > 32) return false;
  if (value === null || typeof value === 'string' || typeof value === 'boolean') return true;
  if (typeof value === 'number') return Number.isFinite(value);
  if (Array.isArray(value)) return value.every((item) => isJson(item, depth + 1));
  if (typeof value !== 'object' || Object.getPrototypeOf(value) !== Object.prototype) return false;
  return Object.values(value).every((item) => isJson(item, depth + 1));
}

export function compileMetadata(
  raw: unknown,
  path: string,
  scope: CompileScope,
  inherited: Readonly<Record<string, MetadataValue>> | undefined,
): Readonly<Record<string, MetadataValue>> | undefined {
  const own = metadataRecord(raw, path, scope);
  if (own === undefined && inherited === undefined) return undefined;
  return Object.freeze({ ...inherited, ...own });
}

export function metadataRecord(
  raw: unknown,
  path: string,
  scope: CompileScope,
): Record<string, MetadataValue> | undefined {
  if (raw === undefined) return undefined;
  if (!isRecord(raw))
    return scope.error('invalid_type', '`metadata` must map names to text, numbers or booleans', path);
  const out: Record<string, MetadataValue> = {};
  for (const [key, value] of Object.entries(raw)) {
    if (
      typeof value === 'string' ||
      typeof value === 'boolean' ||
      (typeof value === 'number' && Number.isFinite(value))
    ) {
      Object.defineProperty(out, key, { value, enumerable: true });
    } else {
      scope.error('invalid_type', `metadata \`${key}\` must be text, a number or a boolean`, join(path, key));
    }
  }
  return out;
}

export function booleanField(
  raw: Record<string, unknown>,
  key: string,
  path: string,
  scope: CompileScope,
  fallback: boolean | undefined,
): boolean | undefined {
  const value = raw[key] ?? fallback;
  if (typeof value === 'boolean') return value;
  return scope.error('invalid_type', `\`${key}\` must be true or false`, join(path, key));
}
