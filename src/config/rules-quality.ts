import { METHOD_METRICS, parseAql, QUALITY_FORMATS, QUALITY_METHODS, type QualityMethod } from './aql.js';
import { checkDuplicates, type Findings, keys, list, type Path, rec, text } from './rules-util.js';
import { didYouMean } from './suggest.js';

/**
 * The quality plan's rules beyond its shape: each method's fields (a coverage deliverable names
 * the stage and the report file it writes), formats, AQL conditions parsed against the method's
 * metrics, stage references, and unique ids. Unknown methods are refused by the schema's enum,
 * with a did-you-mean.
 */

/** The fields each method takes besides the common ones; `required` must be written. */
const FIELDS: Record<
  QualityMethod,
  { readonly allowed: readonly string[]; readonly required: readonly string[] }
> = {
  coverage: { allowed: ['stage', 'report', 'format'], required: ['stage', 'report'] },
  lint: { allowed: ['stage', 'report', 'format'], required: ['stage'] },
  vulnerabilities: { allowed: ['stage', 'report', 'format'], required: ['stage', 'report'] },
  accessibility: { allowed: ['stage', 'report', 'format'], required: ['stage', 'report', 'format'] },
  dora: { allowed: ['environment'], required: [] },
  deployment: { allowed: ['environment'], required: [] },
  documentation: { allowed: ['files'], required: ['files'] },
  manual: { allowed: ['signedOffBy'], required: [] },
};
const METHOD_FIELDS = ['stage', 'report', 'format', 'environment', 'files', 'signedOffBy'];

export function checkQuality(findings: Findings, root: Record<string, unknown>): void {
  const deliverables = list(rec(root.quality).deliverables).map(rec);
  checkDuplicates(
    findings,
    deliverables.map((d) => text(d.id)),
    (index) => ['quality', 'deliverables', index, 'id'],
    'deliverable',
  );
  const stages = ['build', ...keys(root.stages)];
  deliverables.forEach((deliverable, index) => {
    const method = text(deliverable.method);
    if (method === undefined || !(QUALITY_METHODS as readonly string[]).includes(method)) return;
    checkDeliverable(findings, deliverable, method as QualityMethod, stages, [
      'quality',
      'deliverables',
      index,
    ]);
  });
}

function checkDeliverable(
  findings: Findings,
  deliverable: Record<string, unknown>,
  method: QualityMethod,
  stages: readonly string[],
  path: Path,
): void {
  const fields = FIELDS[method];
  for (const field of METHOD_FIELDS) {
    if (deliverable[field] === undefined || fields.allowed.includes(field)) continue;
    findings.errors.push({
      code: 'field_not_for_method',
      message: `\`${field}\` does not apply to the \`${method}\` method`,
      path: [...path, field],
      at: 'key',
      hint: `the \`${method}\` method takes ${fields.allowed.map((f) => `\`${f}\``).join(', ') || 'no other field'}`,
    });
  }
  for (const field of fields.required) {
    if (deliverable[field] !== undefined) continue;
    findings.errors.push({
      code: 'missing_key',
      message: `the \`${method}\` method needs \`${field}\``,
      path: [...path, 'method'],
      hint: HINTS[field] ?? `add \`${field}:\``,
    });
  }
  const stage = text(deliverable.stage);
  if (stage !== undefined && fields.allowed.includes('stage') && !stages.includes(stage)) {
    findings.errors.push({
      code: 'missing_stage',
      message: `stage \`${stage}\` is not defined`,
      path: [...path, 'stage'],
      hint: (budget) => didYouMean(stage, stages, 'defined stages', budget),
    });
  }
  const format = text(deliverable.format);
  const formats = QUALITY_FORMATS[method] ?? [];
  if (format !== undefined && fields.allowed.includes('format') && !formats.includes(format)) {
    findings.errors.push({
      code: 'invalid_value',
      message: `\`${format}\` is not a report format of the \`${method}\` method (${formats.join(', ')})`,
      path: [...path, 'format'],
      hint: (budget) => didYouMean(format, formats, 'formats', budget),
    });
  }
  if (method === 'lint' && format !== undefined && deliverable.report === undefined) {
    findings.errors.push({
      code: 'missing_key',
      message: '`format` names the format of a `report`, which is missing',
      path: [...path, 'format'],
      at: 'key',
      hint: 'add `report: <file>`, or remove `format` to assess the stage by its exit code',
    });
  }
  checkAql(findings, deliverable, method, path);
}

const HINTS: Record<string, string> = {
  stage: 'add `stage: <the stage that writes the report>`',
  report: 'add `report: <file the stage writes>`, e.g. `coverage/lcov.info`',
  format: 'add `format:` (accessibility: `axe` or `pa11y`)',
  files: 'add `files: [README.md, docs/…]`',
};

function checkAql(
  findings: Findings,
  deliverable: Record<string, unknown>,
  method: QualityMethod,
  path: Path,
): void {
  const aql = deliverable.aql;
  if (method === 'manual') return; // free text, judged by the person who signs it off
  if (aql === undefined) {
    findings.errors.push({
      code: 'missing_key',
      message: `an automatically assessed deliverable needs \`aql\`: the level it must meet`,
      path,
      hint: `add e.g. \`aql: ${Object.keys(METHOD_METRICS[method])[0]} ${method === 'coverage' ? '>= 80%' : '== 0'}\``,
    });
    return;
  }
  const conditions =
    typeof aql === 'string'
      ? [[aql, [...path, 'aql']] as const]
      : list(aql).map((c, i) => [c, [...path, 'aql', i]] as const);
  for (const [condition, at] of conditions) {
    if (typeof condition !== 'string') continue;
    const parsed = parseAql(condition, method);
    if (parsed.ok) {
      const usable = lintMetric(deliverable, parsed.condition.metric);
      if (usable !== undefined)
        findings.errors.push({ code: 'unknown_metric', message: usable, path: at, hint: LINT_HINT });
      continue;
    }
    findings.errors.push({ code: parsed.code, message: parsed.message, path: at, hint: parsed.hint });
  }
}

const LINT_HINT = 'with a `report`, use `errors` and `warnings`; by exit code alone, `exitCode == 0`';

/** Lint measured by exit code has only `exitCode`; from a report, only counts. */
function lintMetric(deliverable: Record<string, unknown>, metric: string): string | undefined {
  if (text(deliverable.method) !== 'lint') return undefined;
  const byReport = deliverable.report !== undefined;
  if (byReport && metric === 'exitCode') return '`exitCode` is measured only for lint without a `report`';
  if (!byReport && metric !== 'exitCode')
    return `\`${metric}\` needs a lint \`report\`; without one only \`exitCode\` is measured`;
  return undefined;
}
