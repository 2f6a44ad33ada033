import { closest } from '../config/index.js';
import type { WriteTx } from '../store/index.js';
import { at, type Problems } from './problems.js';
import type { RowPlace } from './types.js';

type Row = { readonly service: string; readonly environment: string; readonly place: RowPlace };

/** The store ids of the services and environments a file names. */
export interface Resolved {
  serviceId(row: Row): string;
  environmentId(row: Row): string;
  /** Each service's environments that `rows` write to. */
  environmentsByService(rows: readonly Row[]): Map<string, string[]>;
}

/**
 * Finds every service and environment the rows name. An unknown one is a problem reported once,
 * at the first row naming it, with how many rows do: history is not a way to create services
 * (a typo would create one and split the metrics).
 */
export async function resolveTargets(
  tx: WriteTx,
  rows: readonly Row[],
  problems: Problems,
): Promise<Resolved> {
  const names = [...new Set(rows.map((r) => r.service))];
  const services = new Map<string, string>();
  for (const row of await tx
    .selectFrom('services')
    .select(['id', 'name'])
    .where('name', 'in', names)
    .execute()) {
    services.set(row.name, row.id);
  }
  const environments = new Map<string, string>();
  if (services.size > 0) {
    const envRows = await tx
      .selectFrom('environments')
      .innerJoin('services', 'services.id', 'environments.service_id')
      .select(['environments.id', 'environments.name', 'services.name as service'])
      .where('environments.service_id', 'in', [...services.values()])
      .where('environments.deleted_at', 'is', null)
      .execute();
    for (const e of envRows) environments.set(`${e.service}/${e.name}`, e.id);
  }
  const unknown = new Map<string, { place: RowPlace; rows: number; field: 'service' | 'environment' }>();
  for (const r of rows) {
    const key = services.has(r.service) ? `${r.service}/${r.environment}` : r.service;
    if (services.has(r.service) && environments.has(key)) continue;
    const seen = unknown.get(key);
    if (seen === undefined) {
      unknown.set(key, {
        place: r.place,
        rows: 1,
        field: services.has(r.service) ? 'environment' : 'service',
      });
    } else seen.rows++;
  }
  if (unknown.size > 0) {
    const known = (await tx.selectFrom('services').select('name').execute()).map((s) => s.name);
    for (const [key, u] of unknown) {
      const more = u.rows === 1 ? '' : ` (${u.rows} rows name it)`;
      if (u.field === 'service') {
        const near = closest(key, known);
        problems.add(
          'FLOWLINE_IMPORT_UNKNOWN_SERVICE',
          `no service is named \`${key}\`${more}`,
          at(u.place, 'service'),
          near === undefined
            ? 'Register it first: `flowline config apply` (or a `flowline run`) in its repository.'
            : `did you mean \`${near}\`?`,
        );
      } else {
        const [service = '', environment = ''] = key.split('/');
        const theirs = [...environments.keys()]
          .filter((k) => k.startsWith(`${service}/`))
          .map((k) => k.slice(service.length + 1));
        const near = closest(environment, theirs);
        problems.add(
          'FLOWLINE_IMPORT_UNKNOWN_SERVICE',
          `${service} has no environment named \`${environment}\`${more}, and its policy declares none`,
          at(u.place, 'environment'),
          near === undefined
            ? `Declare it in the service's policy (\`flowline env policy set ${environment}\`), or name one it has.`
            : `did you mean \`${near}\`?`,
        );
      }
    }
  }
  const serviceId = (r: Row) => services.get(r.service) ?? '';
  const environmentId = (r: Row) => environments.get(`${r.service}/${r.environment}`) ?? '';
  return {
    serviceId,
    environmentId,
    environmentsByService(of) {
      const by = new Map<string, Set<string>>();
      for (const r of of) {
        const set = by.get(serviceId(r)) ?? new Set<string>();
        set.add(environmentId(r));
        by.set(serviceId(r), set);
      }
      return new Map([...by].map(([k, v]) => [k, [...v]]));
    },
  };
}
