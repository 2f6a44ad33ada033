import { isScalar } from 'yaml';
import { parseExpression, parseJsonPath } from '../analysis/expr/index.js';
import { type Findings, list, type Path, rec, text } from './rules-util.js';
import { nodeAt, type Position, type Source } from './source.js';

/**
 * Parses every analysis condition (and web `jsonPath`) with the analysis engine's own parser, so a
 * condition that would fail at release time fails `flowline validate` instead. A syntax error
 * points at its character in the file: the expression's offset is mapped onto the YAML scalar,
 * through quotes, escapes and folded lines.
 */

/** The parsed file, when known: positions inside scalars need its text. */
export interface SourceText extends Pick<Source, 'doc' | 'lineCounter' | 'aliasTargets'> {
  readonly text: string;
}

export function checkAnalysisExpressions(
  findings: Findings,
  root: Record<string, unknown>,
  source?: SourceText,
): void {
  for (const [name, raw] of Object.entries(rec(rec(root.analysis).templates))) {
    list(rec(raw).metrics).forEach((value, index) => {
      const metric = rec(value);
      const metricPath: Path = ['analysis', 'templates', name, 'metrics', index];
      for (const field of ['successCondition', 'failureCondition'] as const) {
        const condition = text(metric[field]);
        if (condition === undefined || condition.trim() === '') continue;
        const parsed = parseExpression(condition);
        if (parsed.ok) continue;
        const path = [...metricPath, field];
        const position = source && positionIn(source, path, parsed.error.offset);
        findings.errors.push({
          code: 'invalid_expression',
          message: `\`${field}\` does not parse: ${parsed.error.message}`,
          path,
          hint:
            parsed.error.hint ??
            'conditions are written like `result < 0.01 && baseline > 0`; see docs/analysis.md',
          ...(position === undefined ? {} : { position }),
        });
      }
      const jsonPath = text(rec(rec(metric.provider).web).jsonPath);
      if (jsonPath === undefined || !jsonPath.startsWith('$')) return; // the schema reports the rest
      const parsed = parseJsonPath(jsonPath);
      if (parsed.ok) return;
      const path = [...metricPath, 'provider', 'web', 'jsonPath'];
      const position = source && positionIn(source, path, parsed.error.offset);
      findings.errors.push({
        code: 'invalid_json_path',
        message: `\`jsonPath\` is not supported: ${parsed.error.message}`,
        path,
        hint: parsed.error.hint ?? 'write e.g. `$.data.items[0].value`',
        ...(position === undefined ? {} : { position }),
      });
    });
  }
}

/** The file position of character `offset` of the string value at `path`; undefined when unknown. */
export function positionIn(source: SourceText, path: Path, offset: number): Position | undefined {
  const node = nodeAt(source, path);
  if (!isScalar(node) || typeof node.value !== 'string' || !node.range) return undefined;
  const [start, end] = node.range;
  const raw = source.text.slice(start, end);
  const at = start + offsetInRaw(raw, node.value, offset, node.type);
  const { line, col } = source.lineCounter.linePos(at);
  return { line, column: col };
}

/**
 * Where character `offset` of `value` is in `raw`, the scalar as written. The value is the raw text
 * minus quotes, escape backslashes, doubled quotes, indentation and folded line breaks, so walking
 * both and skipping what the value lacks finds it. Anything unexpected falls back to the start.
 */
function offsetInRaw(raw: string, value: string, offset: number, type: string | undefined): number {
  let r = 0;
  if (type === 'QUOTE_DOUBLE' || type === 'QUOTE_SINGLE') r = 1;
  if (type === 'BLOCK_LITERAL' || type === 'BLOCK_FOLDED') r = raw.indexOf('\n') + 1;
  const limit = Math.min(offset, value.length);
  for (let v = 0; v <= limit; v += 1) {
    const ch = value[v];
    if (ch === undefined) return r; // the end of the value: just after its last character
    while (r < raw.length && raw[r] !== ch) r += 1;
    if (r >= raw.length) return 0;
    if (v === limit) return r;
    r += 1;
  }
  return 0;
}
