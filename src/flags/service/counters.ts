import type { Clock } from '../../core/clock.js';
import type { Store } from '../../store/index.js';
import { flagTables } from './store.js';

type Counts = Map<string, Map<string, Map<string, number>>>;

/**
 * Evaluation counts per flag and variant, kept in memory and added to the store every few
 * seconds. Counting is a few map lookups per evaluation (no I/O, no allocation once a flag and
 * variant were seen); only flags that exist are counted, so a caller cannot grow the table with
 * made-up keys. A count is lost only if the process dies between two flushes.
 */
export class EvaluationCounters {
  private pending: Counts = new Map();

  constructor(
    private readonly store: Store,
    private readonly clock: Clock,
  ) {}

  /** Counts one answer. `set` is `service` + NUL + `environment` (built once per request). */
  count(set: string, flag: string, variant: string, by = 1): void {
    let flags = this.pending.get(set);
    if (flags === undefined) {
      flags = new Map();
      this.pending.set(set, flags);
    }
    let variants = flags.get(flag);
    if (variants === undefined) {
      variants = new Map();
      flags.set(flag, variants);
    }
    variants.set(variant, (variants.get(variant) ?? 0) + by);
  }

  /** Writes what was counted since the last flush, in one transaction; kept for the next on failure. */
  async flush(): Promise<void> {
    if (this.pending.size === 0) return;
    const taken = this.pending;
    this.pending = new Map();
    const rows: { service: string; environment: string; flag: string; variant: string; count: number }[] = [];
    for (const [set, flags] of taken) {
      const [service = '', environment = ''] = set.split('\0');
      for (const [flag, variants] of flags)
        for (const [variant, count] of variants) rows.push({ service, environment, flag, variant, count });
    }
    try {
      await this.store.write((tx) => flagTables.addEvaluations(tx, rows, this.clock.now()));
    } catch (error) {
      for (const row of rows)
        this.count(`${row.service}\0${row.environment}`, row.flag, row.variant, row.count);
      throw error;
    }
  }
}
