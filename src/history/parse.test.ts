import { describe, expect, it } from 'vitest';
import type { FlowlineError } from '../core/errors.js';
import { parseDeployments, parseIncidents } from './index.js';

const SHA = 'a'.repeat(40);
const HEADER = 'id,service,environment,commitSha,startedAt,finishedAt,outcome,kind,unplannedReason,artifact';
const row = (id: string, rest = '') =>
  `${id},shop,production,${SHA},2026-01-05T10:00:00Z,2026-01-05T10:03:00Z,succeeded${rest}`;

function refusal(run: () => unknown): FlowlineError {
  try {
    run();
  } catch (error) {
    return error as FlowlineError;
  }
  throw new Error('expected the file to be refused');
}

const csv = (text: string, service?: string) =>
  parseDeployments({ name: 'deploys.csv', text, ...(service === undefined ? {} : { service }) });

describe('a deployments CSV', () => {
  it('reads every column, quotes and a BOM, with times as UTC instants', () => {
    const text = `\uFEFF${HEADER}\r\n"d,1",shop,production,${SHA.toUpperCase()},2026-01-05T11:00:00+01:00,2026-01-05T10:03:00.5Z,rolledBack,deploy,hotfix,"registry/shop:1.2, patched"\r\n\r\n`;
    expect(csv(text).rows).toEqual([
      {
        place: { file: 'deploys.csv', line: 2 },
        id: 'd,1',
        service: 'shop',
        environment: 'production',
        commitSha: SHA,
        startedAt: '2026-01-05T10:00:00.000Z',
        finishedAt: '2026-01-05T10:03:00.500Z',
        outcome: 'rolledBack',
        kind: 'deploy',
        unplannedReason: 'hotfix',
        artifact: 'registry/shop:1.2, patched',
      },
    ]);
  });

  it('takes the service from --service when the column is absent, and a rollback is unplanned by definition', () => {
    const text = `id,environment,commitSha,startedAt,finishedAt,outcome,kind\nr1,production,${SHA},2026-01-05T10:00:00Z,2026-01-05T10:01:00Z,succeeded,rollback\n`;
    expect(csv(text, 'shop').rows[0]).toMatchObject({
      service: 'shop',
      kind: 'rollback',
      unplannedReason: 'rollback',
      artifact: null,
    });
  });

  it('names missing and unknown columns on the header line, with the closest name', () => {
    const error = refusal(() =>
      csv(`id,service,environment,commitSha,startAt,finishedAt,outcome\n${row('d1')}\n`),
    );
    expect(error.code).toBe('FLOWLINE_IMPORT_INVALID');
    expect(error.message).toBe('deploys.csv has 2 problems; nothing was imported.');
    expect(error.issues).toEqual([
      {
        code: 'FLOWLINE_IMPORT_COLUMNS',
        message: '`startAt` is not a column Flowline reads',
        file: 'deploys.csv',
        line: 1,
        path: 'startAt',
        hint: 'did you mean `startedAt`?',
      },
      {
        code: 'FLOWLINE_IMPORT_COLUMNS',
        message: 'the required column `startedAt` is missing',
        file: 'deploys.csv',
        line: 1,
        path: 'startedAt',
      },
    ]);
  });

  it('collects every bad value of every row, each at its line and column', () => {
    const text = [
      HEADER,
      row('d1', ',,,'),
      `d2,shop,production,abc123,2026-01-05 10:00:00,2026-01-05T10:03:00Z,done,deploy,,`,
      `d3,shop,production,${SHA},yesterday,2026-01-05T10:03:00Z,rolledback,redeploy,rollback,`,
      `d4,shop,production,${SHA},2026-01-05T10:00:00Z,2026-01-05T09:00:00Z,succeeded,deploy,rollback,`,
      `,shop,production,${SHA},2026-01-05T10:00:00Z,2026-01-05T10:01:00Z,succeeded,rollback,hotfix,`,
    ].join('\n');
    const issues = refusal(() => csv(text)).issues.map((i) => [i.line, i.path, i.code, i.message, i.hint]);
    expect(issues).toEqual([
      [
        3,
        'commitSha',
        'FLOWLINE_IMPORT_VALUE',
        '`abc123` is not a full commit sha (40 or 64 hex digits)',
        'Abbreviated shas are ambiguous across a history; export the full one (git rev-parse).',
      ],
      [
        3,
        'startedAt',
        'FLOWLINE_IMPORT_TIME',
        '`2026-01-05 10:00:00` has no zone: it would be read in some unknown offset',
        'Write it like 2026-11-03T10:15:00Z or 2026-11-03T11:15:00+01:00.',
      ],
      [
        3,
        'outcome',
        'FLOWLINE_IMPORT_VALUE',
        '`done` is not one of `succeeded`, `failed`, `rolledBack` or `failedAnalysis`',
        undefined,
      ],
      [
        4,
        'startedAt',
        'FLOWLINE_IMPORT_TIME',
        '`yesterday` is not an ISO-8601 date-time with a zone',
        'Write it like 2026-11-03T10:15:00Z or 2026-11-03T11:15:00+01:00.',
      ],
      [
        4,
        'outcome',
        'FLOWLINE_IMPORT_VALUE',
        '`rolledback` is not one of `succeeded`, `failed`, `rolledBack` or `failedAnalysis`',
        'did you mean `rolledBack`?',
      ],
      [
        4,
        'kind',
        'FLOWLINE_IMPORT_VALUE',
        '`redeploy` is not one of `deploy` or `rollback`',
        'did you mean `deploy`?',
      ],
      [
        5,
        'unplannedReason',
        'FLOWLINE_IMPORT_VALUE',
        'reason `rollback` goes with kind `rollback`; a deploy is unplanned for a `hotfix` or an `incident`',
        undefined,
      ],
      [
        5,
        'finishedAt',
        'FLOWLINE_IMPORT_TIME',
        'finishes (2026-01-05T09:00:00.000Z) before it starts (2026-01-05T10:00:00.000Z)',
        undefined,
      ],
      [6, 'id', 'FLOWLINE_IMPORT_VALUE', 'is empty; it is required', undefined],
      [
        6,
        'unplannedReason',
        'FLOWLINE_IMPORT_VALUE',
        'a rollback is unplanned with reason `rollback`, not `hotfix`',
        'Leave it empty for a rollback.',
      ],
    ]);
  });

  it('refuses a day its month does not have, which Date.parse would move to the next month', () => {
    const text = `${HEADER}\n${row('d1', ',,,').replace('2026-01-05T10:00:00Z', '2026-02-30T10:00:00Z')}\n`;
    expect(refusal(() => csv(text)).issues).toMatchObject([
      {
        code: 'FLOWLINE_IMPORT_TIME',
        line: 2,
        path: 'startedAt',
        message: '`2026-02-30T10:00:00Z` names a day its month does not have',
      },
    ]);
  });

  it('refuses an id repeated in the file, naming the first line', () => {
    const issues = refusal(() =>
      csv(`${HEADER}\n${row('d1', ',,,')}\n${row('d2', ',,,')}\n${row('d1', ',,,')}\n`),
    ).issues;
    expect(issues).toMatchObject([
      {
        code: 'FLOWLINE_IMPORT_DUPLICATE',
        line: 4,
        path: 'id',
        message: 'the id `d1` of shop is also on line 2',
      },
    ]);
  });

  it('refuses a row with another number of fields, and a row of another service than --service', () => {
    const issues = refusal(() =>
      csv(`${HEADER}\n${row('d1', ',deploy')}\n${row('d2', ',,,').replace(',shop,', ',cart,')}\n`, 'shop'),
    ).issues;
    expect(issues.map((i) => [i.line, i.path, i.code, i.message])).toEqual([
      [2, undefined, 'FLOWLINE_IMPORT_FORMAT', 'the row has 8 fields; the header names 10'],
      [3, 'service', 'FLOWLINE_IMPORT_VALUE', 'names the service `cart`, but --service is `shop`'],
    ]);
  });

  it('refuses CSV that is not well-formed at the line of the unclosed quote', () => {
    const error = refusal(() => csv(`${HEADER}\n${row('d1', ',,,')}\n"d2,shop\n`));
    expect(error.issues).toMatchObject([{ code: 'FLOWLINE_IMPORT_FORMAT', file: 'deploys.csv', line: 3 }]);
    expect(error.issues[0]?.message).toMatch(/^not well-formed CSV: .*quote/i);
  });

  it('refuses an empty file and a header with no rows as empty', () => {
    for (const text of ['', '\n\n', `${HEADER}\n`]) {
      expect(refusal(() => csv(text))).toMatchObject({
        code: 'FLOWLINE_IMPORT_EMPTY',
        message: 'deploys.csv holds no deployments.',
      });
    }
  });

  it('reports at most 100 problems and counts the rest', () => {
    const rows = Array.from({ length: 150 }, (_, i) => row(`d${i}`, ',,,').replace('succeeded', 'ok'));
    const error = refusal(() => csv(`${HEADER}\n${rows.join('\n')}\n`));
    expect(error.message).toBe('deploys.csv has 150 problems; nothing was imported.');
    expect(error.issues).toHaveLength(101);
    expect(error.issues[99]).toMatchObject({ line: 101, path: 'outcome' });
    expect(error.issues[100]).toMatchObject({
      code: 'FLOWLINE_IMPORT_INVALID',
      message: '50 more problems not shown: at most 100 are reported',
    });
  });
});

describe('a deployments JSON file', () => {
  const json = (value: unknown) =>
    parseDeployments({ name: 'deploys.json', text: JSON.stringify(value, null, 2) });
  const good = {
    id: 'd1',
    service: 'shop',
    environment: 'production',
    commitSha: SHA,
    startedAt: '2026-01-05T10:00:00Z',
    finishedAt: '2026-01-05T10:03:00Z',
    outcome: 'failed',
  };

  it('reads the `deployments` list, each row placed by its JSON path', () => {
    expect(json({ deployments: [good] }).rows).toEqual([
      {
        place: { file: 'deploys.json', path: 'deployments[0]' },
        ...good,
        startedAt: '2026-01-05T10:00:00.000Z',
        finishedAt: '2026-01-05T10:03:00.000Z',
        kind: 'deploy',
        unplannedReason: null,
        artifact: null,
      },
    ]);
  });

  it('names each problem by its path: unknown fields, missing ones, wrong types, bad times', () => {
    const rows = [
      good,
      { ...good, id: 'd2', startedAt: '2026-01-05T10:00:00', deployedBy: 'ada' },
      { ...good, id: 3 },
      'd4',
    ];
    const { service: _, ...noService } = good;
    const issues = refusal(() =>
      json({ deployments: [...rows, { ...noService, id: 'd5' }], version: 1 }),
    ).issues;
    expect(issues.map((i) => [i.path, i.code, i.message])).toEqual([
      [
        'version',
        'FLOWLINE_IMPORT_COLUMNS',
        '`version` is not read: a deployments file holds only `deployments`',
      ],
      ['deployments[1].deployedBy', 'FLOWLINE_IMPORT_COLUMNS', '`deployedBy` is not a field Flowline reads'],
      [
        'deployments[1].startedAt',
        'FLOWLINE_IMPORT_TIME',
        '`2026-01-05T10:00:00` has no zone: it would be read in some unknown offset',
      ],
      ['deployments[2].id', 'FLOWLINE_IMPORT_VALUE', 'is a number; write it as a string'],
      ['deployments[2].id', 'FLOWLINE_IMPORT_VALUE', 'is missing; it is required'],
      ['deployments[3]', 'FLOWLINE_IMPORT_FORMAT', 'is not an object'],
      ['deployments[4].service', 'FLOWLINE_IMPORT_VALUE', 'is missing; it is required'],
    ]);
    expect(issues[0]).toMatchObject({ file: 'deploys.json' });
  });

  it('refuses more than 200,000 rows at once (one transaction holds the write lock)', () => {
    const text = JSON.stringify({ deployments: Array.from({ length: 200_001 }, () => ({})) });
    expect(refusal(() => parseDeployments({ name: 'big.json', text }))).toMatchObject({
      code: 'FLOWLINE_IMPORT_FORMAT',
      message: 'big.json holds 200001 deployments; at most 200000 are imported at once.',
    });
  });

  it('refuses JSON that does not parse at its line and column, a wrong document, and an empty list', () => {
    const broken = refusal(() =>
      parseDeployments({ name: 'deploys.json', text: '{\n  "deployments": [\n    {"id": "d1",}\n  ]\n}' }),
    );
    expect(broken.issues).toMatchObject([{ code: 'FLOWLINE_IMPORT_FORMAT', line: 3, column: 17 }]);
    expect(refusal(() => json([good])).issues).toMatchObject([
      {
        code: 'FLOWLINE_IMPORT_FORMAT',
        path: 'deployments',
        message: 'the document is not an object with a `deployments` list',
      },
    ]);
    expect(refusal(() => json({ deployments: [] }))).toMatchObject({ code: 'FLOWLINE_IMPORT_EMPTY' });
  });
});

describe('an incidents file', () => {
  const text = (rows: string[]) =>
    `id,service,environment,title,openedAt,acknowledgedAt,resolvedAt,causeDeployment\n${rows.join('\n')}\n`;

  it('reads optional times and cause as null when empty', () => {
    const parsed = parseIncidents({
      name: 'inc.csv',
      text: text(['i1,shop,production,"500s, at checkout",2026-01-05T10:00:00Z,,,']),
    });
    expect(parsed.rows[0]).toMatchObject({
      title: '500s, at checkout',
      openedAt: '2026-01-05T10:00:00.000Z',
      acknowledgedAt: null,
      resolvedAt: null,
      causeDeployment: null,
    });
  });

  it('refuses times out of order and a missing title', () => {
    const issues = refusal(() =>
      parseIncidents({
        name: 'inc.csv',
        text: text([
          'i1,shop,production,x,2026-01-05T10:00:00Z,2026-01-05T09:00:00Z,2026-01-05T09:30:00Z,d1',
          'i2,shop,production,,2026-01-05T10:00:00Z,,,',
        ]),
      }),
    ).issues;
    expect(issues.map((i) => [i.line, i.path, i.code, i.message])).toEqual([
      [
        2,
        'acknowledgedAt',
        'FLOWLINE_IMPORT_TIME',
        '2026-01-05T09:00:00.000Z is before it was opened (2026-01-05T10:00:00.000Z)',
      ],
      [
        2,
        'resolvedAt',
        'FLOWLINE_IMPORT_TIME',
        '2026-01-05T09:30:00.000Z is before it was opened (2026-01-05T10:00:00.000Z)',
      ],
      [3, 'title', 'FLOWLINE_IMPORT_VALUE', 'is empty; it is required'],
    ]);
  });
});
