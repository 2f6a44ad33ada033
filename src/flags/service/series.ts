import type { Store } from '../../store/index.js';
import { flagTables, hourOf } from './store.js';
import type { EvaluationSeries } from './types.js';

const HOUR_MS = 3_600_000;

/**
 * Reads the hourly evaluation counts of one set into dense lists aligned with `hours` (an hour
 * with no evaluations is 0, so a chart needs no gap filling), from `options.hours - 1` hours
 * before `now`'s hour to that hour.
 */
export async function evaluationSeries(
  store: Pick<Store, 'db'>,
  now: Date,
  service: string,
  environment: string,
  options: { readonly hours: number; readonly flag?: string | undefined },
): Promise<EvaluationSeries> {
  const last = Date.parse(hourOf(now));
  const hours: string[] = [];
  for (let i = options.hours - 1; i >= 0; i--) hours.push(new Date(last - i * HOUR_MS).toISOString());
  const index = new Map(hours.map((hour, i) => [hour, i]));
  const rows = await flagTables.evaluationHours(
    store.db,
    service,
    environment,
    new Date(Date.parse(hours[0] as string)),
    options.flag,
  );
  // Maps, not object literals: flag keys are user text (`__proto__` is a valid key).
  const flags = new Map<string, Map<string, number[]>>();
  for (const row of rows) {
    const at = index.get(row.hour);
    if (at === undefined) continue; // a clock moved back: a row "from the future" is not charted
    let variants = flags.get(row.flag);
    if (variants === undefined) {
      variants = new Map();
      flags.set(row.flag, variants);
    }
    let counts = variants.get(row.variant);
    if (counts === undefined) {
      counts = hours.map(() => 0);
      variants.set(row.variant, counts);
    }
    counts[at] = row.count;
  }
  return {
    service,
    environment,
    hours,
    flags: Object.fromEntries([...flags].map(([flag, variants]) => [flag, Object.fromEntries(variants)])),
  };
}
