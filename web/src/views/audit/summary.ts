/**
 * A one-line summary of an audit event's details, and the time filters' conversions. The details
 * come redacted from the server; the summary only shortens what it was given, it never adds.
 */

const VALUE_MAX = 60;
const LINE_MAX = 220;

/** `service=shop, changes=[3 items], dryRun=false`: the details' top-level keys, each shortened. */
export function summarizeDetails(details: Readonly<Record<string, unknown>>): string {
  const parts = Object.entries(details).map(([key, value]) => `${key}=${summarizeValue(value)}`);
  const line = parts.join(', ');
  return line.length <= LINE_MAX ? line : `${line.slice(0, LINE_MAX - 1)}…`;
}

function summarizeValue(value: unknown): string {
  if (value === null) return 'null';
  if (typeof value === 'string') return cut(value);
  if (typeof value === 'number' || typeof value === 'boolean') return String(value);
  if (Array.isArray(value)) {
    if (value.length === 0) return '[]';
    if (value.every((v) => typeof v === 'string' || typeof v === 'number'))
      return cut(`[${value.join(', ')}]`);
    return `[${value.length} ${value.length === 1 ? 'item' : 'items'}]`;
  }
  if (typeof value === 'object') {
    const keys = Object.keys(value);
    return keys.length === 0 ? '{}' : `{${cut(keys.join(', '))}}`;
  }
  return '';
}

function cut(text: string): string {
  const one = text.replace(/\s+/g, ' ');
  return one.length <= VALUE_MAX ? one : `${one.slice(0, VALUE_MAX - 1)}…`;
}

/** An ISO time as a `datetime-local` input's value, in the browser's zone (minutes). */
export function isoToLocalInput(iso: string | undefined): string {
  if (iso === undefined) return '';
  const at = new Date(iso);
  if (Number.isNaN(at.getTime())) return '';
  const pad = (n: number) => String(n).padStart(2, '0');
  return `${at.getFullYear()}-${pad(at.getMonth() + 1)}-${pad(at.getDate())}T${pad(at.getHours())}:${pad(at.getMinutes())}`;
}

/** A `datetime-local` value (the browser's zone) as the ISO time the API takes; empty stays empty. */
export function localInputToIso(value: string): string | undefined {
  if (value === '') return undefined;
  const at = new Date(value);
  return Number.isNaN(at.getTime()) ? undefined : at.toISOString();
}
