/** Small display helpers shared by the views; times are shown in the browser's own zone. */

const UNITS: readonly [number, string][] = [
  [86_400_000, 'd'],
  [3_600_000, 'h'],
  [60_000, 'm'],
  [1_000, 's'],
];

/** `3h 12m`, `45s`, `120ms`: the two largest units of a duration (a zero second unit left out). */
export function duration(ms: number | null | undefined): string {
  if (ms === null || ms === undefined || !Number.isFinite(ms)) return '—';
  if (ms < 1000) return `${Math.round(ms)}ms`;
  const first = UNITS.findIndex(([size]) => ms >= size);
  const [size, unit] = UNITS[first] as [number, string];
  const whole = Math.floor(ms / size);
  const next = UNITS[first + 1];
  if (next === undefined) return `${whole}${unit}`;
  const rest = Math.floor((ms - whole * size) / next[0]);
  return rest === 0 ? `${whole}${unit}` : `${whole}${unit} ${rest}${next[1]}`;
}

/** `5m ago`, `in 2h`: a time relative to `now`. */
export function age(iso: string | null | undefined, now: number = Date.now()): string {
  if (iso === null || iso === undefined) return '—';
  const at = Date.parse(iso);
  if (Number.isNaN(at)) return '—';
  const delta = now - at;
  return delta >= 0 ? `${duration(delta)} ago` : `in ${duration(-delta)}`;
}

/** The time as the browser's locale shows it, for a `title` beside a relative age. */
export function when(iso: string | null | undefined): string {
  if (iso === null || iso === undefined) return '';
  const at = new Date(iso);
  return Number.isNaN(at.getTime()) ? '' : at.toLocaleString();
}

/** `sha256:ab12cd34…` → `ab12cd34`; a commit sha → its first 8 characters. */
export function short(id: string | null | undefined, length = 8): string {
  if (id === null || id === undefined) return '—';
  return id.replace(/^sha256:/, '').slice(0, length);
}

/** `1 stage`, `3 stages`. */
export function plural(n: number, one: string, many = `${one}s`): string {
  return `${n.toLocaleString()} ${n === 1 ? one : many}`;
}

/** A share 0..1 as `12.5%`. */
export function percent(share: number | null | undefined, digits = 1): string {
  if (share === null || share === undefined || !Number.isFinite(share)) return '—';
  return `${(share * 100).toFixed(digits).replace(/\.0+$/, '')}%`;
}
