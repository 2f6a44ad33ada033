/** An object type with its `undefined`-valued keys made optional instead. */
export type Compact<T> = { [K in keyof T]?: Exclude<T[K], undefined> };

/**
 * Drops keys whose value is `undefined`. With `exactOptionalPropertyTypes`, an optional field
 * must be absent rather than `undefined`; this turns parsed input (where absent reads as
 * undefined) into such an object without a spread per field.
 */
export function compact<T extends object>(value: T): Compact<T> {
  const out: Record<string, unknown> = {};
  for (const [key, v] of Object.entries(value)) if (v !== undefined) out[key] = v;
  return out as Compact<T>;
}
