import { DEPLOYMENT_FIELDS, type Field, INCIDENT_FIELDS } from './fields.js';
import { at, Problems } from './problems.js';
import { type RawRow, readRows } from './read.js';
import type { HistoryFile, ImportedDeployment, ImportedIncident, ParsedHistory, RowPlace } from './types.js';

/**
 * History files checked row by row, with no store: everything a file can get wrong on its own
 * (columns, values, times, ids repeated in it). What needs the store (unknown services, ids
 * imported before, causes) is checked by the importer. Either way every problem is collected and
 * thrown together as FLOWLINE_IMPORT_INVALID.
 */

/** A deployments file, checked. Throws FLOWLINE_IMPORT_INVALID or FLOWLINE_IMPORT_EMPTY. */
export function parseDeployments(file: HistoryFile): ParsedHistory<ImportedDeployment> {
  return parseFile(file, 'deployments', DEPLOYMENT_FIELDS, (v, place, problems, invalid) => {
    const kind = (v.kind ?? 'deploy') as ImportedDeployment['kind'];
    let reason = (v.unplannedReason ?? null) as ImportedDeployment['unplannedReason'];
    // A pair is judged only when both its values are good: a typo in one is reported once.
    const pair = !invalid.has('kind') && !invalid.has('unplannedReason');
    if (pair && kind === 'rollback' && reason !== null && reason !== 'rollback') {
      problems.add(
        'FLOWLINE_IMPORT_VALUE',
        `a rollback is unplanned with reason \`rollback\`, not \`${reason}\``,
        at(place, 'unplannedReason'),
        'Leave it empty for a rollback.',
      );
    }
    if (pair && kind === 'deploy' && reason === 'rollback') {
      problems.add(
        'FLOWLINE_IMPORT_VALUE',
        'reason `rollback` goes with kind `rollback`; a deploy is unplanned for a `hotfix` or an `incident`',
        at(place, 'unplannedReason'),
      );
    }
    if (kind === 'rollback') reason = 'rollback';
    if (v.startedAt !== undefined && v.finishedAt !== undefined && v.finishedAt < v.startedAt) {
      problems.add(
        'FLOWLINE_IMPORT_TIME',
        `finishes (${v.finishedAt}) before it starts (${v.startedAt})`,
        at(place, 'finishedAt'),
      );
    }
    return {
      ...identity(v, place),
      commitSha: v.commitSha ?? '',
      startedAt: v.startedAt ?? '',
      finishedAt: v.finishedAt ?? '',
      outcome: (v.outcome ?? 'succeeded') as ImportedDeployment['outcome'],
      kind,
      unplannedReason: reason,
      artifact: v.artifact ?? null,
    };
  });
}

/** An incidents file, checked. Throws FLOWLINE_IMPORT_INVALID or FLOWLINE_IMPORT_EMPTY. */
export function parseIncidents(file: HistoryFile): ParsedHistory<ImportedIncident> {
  return parseFile(file, 'incidents', INCIDENT_FIELDS, (v, place, problems) => {
    const opened = v.openedAt;
    const order = (field: 'acknowledgedAt' | 'resolvedAt', after: string | undefined, what: string) => {
      const value = v[field];
      if (value !== undefined && after !== undefined && value < after) {
        problems.add('FLOWLINE_IMPORT_TIME', `${value} is before ${what} (${after})`, at(place, field));
      }
    };
    order('acknowledgedAt', opened, 'it was opened');
    order('resolvedAt', opened, 'it was opened');
    order('resolvedAt', v.acknowledgedAt, 'it was acknowledged');
    return {
      ...identity(v, place),
      title: v.title ?? '',
      openedAt: opened ?? '',
      acknowledgedAt: v.acknowledgedAt ?? null,
      resolvedAt: v.resolvedAt ?? null,
      causeDeployment: v.causeDeployment ?? null,
    };
  });
}

type Values = Partial<Record<string, string>>;

/** What every row has: where it is, its id, and whose it is. */
function identity(v: Values, place: RowPlace) {
  return { place, id: v.id ?? '', service: v.service ?? '', environment: v.environment ?? '' };
}

function parseFile<T extends { id: string; service: string; place: RowPlace }>(
  file: HistoryFile,
  kind: 'deployments' | 'incidents',
  fields: readonly Field[],
  build: (values: Values, place: RowPlace, problems: Problems, invalid: ReadonlySet<string>) => T,
): ParsedHistory<T> {
  const problems = new Problems(file.name);
  const raw = readRows(file, kind, fields, problems);
  const rows: T[] = [];
  const firstOf = new Map<string, RowPlace>();
  for (const row of raw) {
    const before = problems.count;
    const invalid = new Set<string>();
    const values = readValues(row, fields, file.service, problems, invalid);
    const record = build(values, row.place, problems, invalid);
    if (problems.count > before) continue;
    // Ids are the previous tool's, unique per service (two tools may reuse numbers).
    const key = `${record.service}\0${record.id}`;
    const first = firstOf.get(key);
    if (first !== undefined) {
      problems.add(
        'FLOWLINE_IMPORT_DUPLICATE',
        `the id \`${record.id}\` of ${record.service} is also on ${describePlace(first)}`,
        at(row.place, 'id'),
        'Each row needs its own id: it is how a second import of the file knows what it has.',
      );
      continue;
    }
    firstOf.set(key, row.place);
    rows.push(record);
  }
  problems.throwIfAny();
  return { file: file.name, rows };
}

/** Each field of a row read through the table; problems collected, bad fields left out. */
function readValues(
  row: RawRow,
  fields: readonly Field[],
  service: string | undefined,
  problems: Problems,
  invalid: Set<string>,
): Values {
  const values: Values = {};
  for (const field of fields) {
    let raw = row.values.get(field.name);
    if (field.name === 'service' && service !== undefined) {
      if (raw !== undefined && raw !== service) {
        problems.add(
          'FLOWLINE_IMPORT_VALUE',
          `names the service \`${raw}\`, but --service is \`${service}\``,
          at(row.place, field.name),
          'Import one service per run: split the file, or drop --service.',
        );
        continue;
      }
      raw = service;
    }
    if (raw === undefined) {
      if (field.required) {
        problems.add(
          'FLOWLINE_IMPORT_VALUE',
          `is ${row.place.path === undefined ? 'empty' : 'missing'}; it is required`,
          at(row.place, field.name),
          field.name === 'service'
            ? 'Fill the column, or pass --service for a file of one service.'
            : undefined,
        );
      }
      continue;
    }
    const read = field.read(raw);
    if (read.ok) values[field.name] = read.value ?? undefined;
    else {
      invalid.add(field.name);
      problems.add(read.code, read.message, at(row.place, field.name), read.hint);
    }
  }
  return values;
}

function describePlace(place: RowPlace): string {
  return place.path ?? `line ${place.line}`;
}
