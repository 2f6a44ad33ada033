import type { Kysely } from 'kysely';
import type { Actor, AuditLog, Where } from '../audit/index.js';
import type { QualityMethod } from '../config/index.js';
import type { Clock } from '../core/clock.js';
import { FlowlineError } from '../core/errors.js';
import { newId } from '../core/ids.js';
import type { Database, QualityMeasurementRow, Store, WriteTx } from '../store/index.js';
import type { Measurement, RecordedMeasurement, Signoff, SignoffInput } from './types.js';

export interface QualityRecordsDeps {
  readonly store: Store;
  readonly audit: AuditLog;
  readonly clock: Clock;
}

/** The quality plan's records: measurements per run, sign-offs per period. */
export interface QualityRecords {
  /** Records what a run measured (one transaction: all or nothing). */
  record(runId: string, measurements: readonly Measurement[], tx?: WriteTx): Promise<void>;
  /** What the given runs measured, oldest first. */
  measurements(runIds: readonly string[]): Promise<RecordedMeasurement[]>;
  /** Records a person's sign-off of a manual deliverable for a period; audited as `quality.signoff`. */
  signoff(input: SignoffInput, by: { readonly actor: Actor; readonly where: Where }): Promise<Signoff>;
  /** A service's sign-offs for a period, oldest first. */
  signoffs(service: string, period: string): Promise<Signoff[]>;
}

type Db = Kysely<Database>;

export function createQualityRecords(deps: QualityRecordsDeps): QualityRecords {
  const { store, audit, clock } = deps;
  const insert = async (db: Db, runId: string, measurements: readonly Measurement[]) => {
    const at = clock.now();
    for (const m of measurements) {
      await db
        .insertInto('quality_measurements')
        .values({
          id: newId('qm', at),
          run_id: runId,
          deliverable: m.deliverable,
          method: m.method,
          stage: m.stage,
          values_json: m.values === null ? null : JSON.stringify(m.values),
          error_json: m.error === null ? null : JSON.stringify(m.error),
          file: m.file,
          file_sha256: m.sha256,
          files_json: m.files === undefined ? null : JSON.stringify(m.files),
          measured_at: at.toISOString(),
        })
        .execute();
    }
  };
  return {
    async record(runId, measurements, tx) {
      if (measurements.length === 0) return;
      if (tx !== undefined) return insert(tx, runId, measurements);
      await store.write((w) => insert(w, runId, measurements));
    },

    async measurements(runIds) {
      const rows: QualityMeasurementRow[] = [];
      // In slices: a month of runs must stay under SQLite's limit of bound parameters.
      for (let at = 0; at < runIds.length; at += 500) {
        const slice = runIds.slice(at, at + 500);
        rows.push(
          ...(await store.db
            .selectFrom('quality_measurements')
            .selectAll()
            .where('run_id', 'in', slice)
            .execute()),
        );
      }
      rows.sort((a, b) =>
        a.measured_at < b.measured_at ? -1 : a.measured_at > b.measured_at ? 1 : a.id < b.id ? -1 : 1,
      );
      return rows.map((row) => ({
        runId: row.run_id,
        measuredAt: row.measured_at,
        deliverable: row.deliverable,
        method: row.method as QualityMethod,
        stage: row.stage,
        values: row.values_json === null ? null : (JSON.parse(row.values_json) as Record<string, number>),
        error: row.error_json === null ? null : (JSON.parse(row.error_json) as Measurement['error']),
        file: row.file,
        sha256: row.file_sha256,
        ...(row.files_json === null
          ? {}
          : { files: JSON.parse(row.files_json) as Record<string, string | null> }),
      }));
    },

    signoff: (input, by) =>
      store.write(async (tx) => {
        const service = await tx
          .selectFrom('services')
          .select('id')
          .where('name', '=', input.service)
          .executeTakeFirst();
        if (service === undefined) {
          throw new FlowlineError('FLOWLINE_NOT_FOUND', `No service is named ${input.service}.`, {
            hint: 'See the services with `flowline services`; a service is known after its first `flowline run`.',
          });
        }
        const at = clock.now().toISOString();
        const signoff: Signoff = {
          id: newId('qs', clock.now()),
          service: input.service,
          deliverable: input.deliverable,
          period: input.period,
          verdict: input.verdict,
          signedBy: input.signedBy,
          note: input.note ?? null,
          recordedBy: by.actor.name,
          recordedAt: at,
        };
        await tx
          .insertInto('quality_signoffs')
          .values({
            id: signoff.id,
            service_id: service.id,
            deliverable: signoff.deliverable,
            period: signoff.period,
            verdict: signoff.verdict,
            signed_by: signoff.signedBy,
            note: signoff.note,
            recorded_by: signoff.recordedBy,
            recorded_at: at,
          })
          .execute();
        await audit.append(
          {
            actor: by.actor,
            action: 'quality.signoff',
            target: `quality:${input.service}/${input.deliverable}`,
            where: by.where,
            details: {
              period: signoff.period,
              verdict: signoff.verdict,
              signedBy: signoff.signedBy,
              id: signoff.id,
            },
          },
          tx,
        );
        return signoff;
      }),

    async signoffs(service, period) {
      const rows = await store.db
        .selectFrom('quality_signoffs')
        .innerJoin('services', 'services.id', 'quality_signoffs.service_id')
        .selectAll('quality_signoffs')
        .where('services.name', '=', service)
        .where('quality_signoffs.period', '=', period)
        .orderBy('quality_signoffs.recorded_at')
        .orderBy('quality_signoffs.id')
        .execute();
      return rows.map((row) => ({
        id: row.id,
        service,
        deliverable: row.deliverable,
        period: row.period,
        verdict: row.verdict,
        signedBy: row.signed_by,
        note: row.note,
        recordedBy: row.recorded_by,
        recordedAt: row.recorded_at,
      }));
    },
  };
}
