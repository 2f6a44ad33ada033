import { XMLParser, XMLValidator } from 'fast-xml-parser';
import { isObject, malformed, measured, type Parsed, percent } from './result.js';

/**
 * Line and branch coverage, in percent, from the two formats coverage tools write:
 * - lcov's tracefile (geninfo(1)): per source file `SF:`, `DA:<line>,<hits>` per line,
 *   `BRDA:<line>,<block>,<branch>,<taken|->` per branch, `end_of_record`. Counted from DA and BRDA
 *   (a line listed twice in one file counts once, hit if either was); LF/LH and BRF/BRH are only
 *   summaries of them.
 * - Cobertura XML: the `<coverage>` root's `lines-covered`/`lines-valid` and
 *   `branches-covered`/`branches-valid`, or its `line-rate`/`branch-rate` (older writers).
 * A file with no branches has no branch figure (`branches` absent: "no data", not 100%).
 */
export function parseLcov(text: string): Parsed {
  let lines = { total: 0, hit: 0 };
  let branches = { total: 0, hit: 0 };
  let file: { lines: Map<number, boolean>; branches: Map<string, boolean> } | undefined;
  let files = 0;
  const rows = text.split(/\r?\n/);
  for (let index = 0; index < rows.length; index++) {
    const row = (rows[index] ?? '').trim();
    const lineNo = index + 1;
    if (row === '' || row.startsWith('#')) continue;
    const colon = row.indexOf(':');
    const tag = colon === -1 ? row : row.slice(0, colon);
    const fields = colon === -1 ? [] : row.slice(colon + 1).split(',');
    if (tag === 'SF') {
      file = { lines: new Map(), branches: new Map() };
      files++;
    } else if (tag === 'end_of_record') {
      if (file === undefined)
        return malformed('`end_of_record` without a source file (`SF:`) before it', lineNo);
      lines = add(lines, file.lines);
      branches = add(branches, file.branches);
      file = undefined;
    } else if (tag === 'DA' || tag === 'BRDA') {
      if (file === undefined)
        return malformed(`\`${tag}\` outside a source file record (no \`SF:\` before it)`, lineNo);
      const bad = tag === 'DA' ? da(fields, file.lines) : brda(fields, file.branches);
      if (bad !== undefined) return malformed(bad, lineNo);
    } else if (!KNOWN_TAGS.has(tag)) {
      return malformed('not an lcov record (`SF:`, `DA:`, `BRDA:`, … `end_of_record`)', lineNo);
    }
  }
  if (file !== undefined) return malformed('the last source file record has no `end_of_record`', rows.length);
  if (files === 0 || lines.total === 0)
    return malformed('no source file with line data (`SF:` … `DA:`) in it');
  return measured({
    lines: percent(lines.hit, lines.total),
    ...(branches.total === 0 ? {} : { branches: percent(branches.hit, branches.total) }),
  });
}

const KNOWN_TAGS = new Set(['TN', 'VER', 'FN', 'FNL', 'FNA', 'FNDA', 'FNF', 'FNH', 'LF', 'LH', 'BRF', 'BRH']);
const INT = /^\d+$/;

function add(sum: { total: number; hit: number }, items: Map<unknown, boolean>) {
  let hit = 0;
  for (const covered of items.values()) if (covered) hit++;
  return { total: sum.total + items.size, hit: sum.hit + hit };
}

function da(fields: string[], lines: Map<number, boolean>): string | undefined {
  const [line = '', hits = ''] = fields;
  if (!INT.test(line) || !/^-?\d+$/.test(hits)) return 'a `DA:` record is `DA:<line>,<hits>`';
  lines.set(Number(line), (lines.get(Number(line)) ?? false) || Number(hits) > 0);
  return undefined;
}

function brda(fields: string[], branches: Map<string, boolean>): string | undefined {
  const [line = '', block = '', branch = '', taken = ''] = fields;
  if (!INT.test(line) || fields.length < 4 || (taken !== '-' && !INT.test(taken))) {
    return 'a `BRDA:` record is `BRDA:<line>,<block>,<branch>,<taken or ->`';
  }
  const key = `${line},${block},${branch}`;
  branches.set(key, (branches.get(key) ?? false) || (taken !== '-' && Number(taken) > 0));
  return undefined;
}

export function parseCobertura(text: string): Parsed {
  const valid = XMLValidator.validate(text);
  if (valid !== true)
    return malformed(`not well-formed XML: ${valid.err.msg}`, valid.err.line, valid.err.col);
  const doc: unknown = new XMLParser({ ignoreAttributes: false, attributeNamePrefix: '' }).parse(text);
  const root = isObject(doc) ? doc.coverage : undefined;
  if (!isObject(root)) return malformed('no `<coverage>` root element: not a Cobertura report');
  const lines = figure(root, 'lines', 'line-rate');
  if (lines === undefined)
    return malformed('`<coverage>` has neither `lines-covered`/`lines-valid` nor `line-rate`');
  if (lines === null) return malformed('`<coverage>` counts no lines (`lines-valid="0"`)');
  const branches = figure(root, 'branches', 'branch-rate');
  return measured({ lines, ...(branches === undefined || branches === null ? {} : { branches }) });
}

/** Percent from the counts, else the rate; null when nothing was counted; undefined when absent or not numbers. */
function figure(root: Record<string, unknown>, what: string, rate: string): number | null | undefined {
  const covered = num(root[`${what}-covered`]);
  const valid = num(root[`${what}-valid`]);
  if (covered !== undefined && valid !== undefined) return valid === 0 ? null : percent(covered, valid);
  const r = num(root[rate]);
  return r === undefined || r < 0 || r > 1 ? undefined : Math.round(r * 10_000) / 100;
}

function num(value: unknown): number | undefined {
  const n = typeof value === 'string' && value.trim() !== '' ? Number(value) : Number.NaN;
  return Number.isFinite(n) ? n : undefined;
}
