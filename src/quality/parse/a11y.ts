import { isObject, malformed, measured, type Parsed, readJson } from './result.js';

const IMPACTS = ['critical', 'serious', 'moderate', 'minor'] as const;

/**
 * Accessibility errors from the two checkers teams run in CI:
 * - axe-core's results (`axe.run()`, or @axe-core/cli's array of them, one per page): every node of
 *   every violation is one error, and is counted under its impact (the node's, else the rule's).
 * - pa11y's `json` reporter (an array of issues), or pa11y-ci's `{ results: { <url>: [issues] } }`:
 *   issues of `type` error, warning and notice.
 */
export function parseAxe(text: string): Parsed {
  const json = readJson(text);
  if (!json.ok) return json.parsed;
  const pages = Array.isArray(json.value) ? json.value : [json.value];
  const values: Record<string, number> = { errors: 0, critical: 0, serious: 0, moderate: 0, minor: 0 };
  for (const [index, page] of pages.entries()) {
    if (!isObject(page) || !Array.isArray(page.violations)) {
      return malformed(
        `${pages.length > 1 ? `result ${index} has` : 'has'} no \`violations\` array: not axe-core results`,
      );
    }
    for (const violation of page.violations) {
      if (!isObject(violation) || !Array.isArray(violation.nodes))
        return malformed('a violation has no `nodes` array');
      for (const node of violation.nodes) {
        values.errors = (values.errors ?? 0) + 1;
        const impact = (
          isObject(node) && typeof node.impact === 'string' ? node.impact : violation.impact
        ) as string;
        if ((IMPACTS as readonly string[]).includes(impact)) values[impact] = (values[impact] ?? 0) + 1;
      }
    }
  }
  return measured(values);
}

export function parsePa11y(text: string): Parsed {
  const json = readJson(text);
  if (!json.ok) return json.parsed;
  const doc = json.value;
  const issues = Array.isArray(doc)
    ? doc
    : isObject(doc) && isObject(doc.results)
      ? Object.values(doc.results).flatMap((page) => (Array.isArray(page) ? page : []))
      : undefined;
  if (issues === undefined)
    return malformed('neither an array of issues nor pa11y-ci `results`: not pa11y JSON');
  const values: Record<string, number> = { errors: 0, warnings: 0, notices: 0 };
  for (const issue of issues) {
    const type = isObject(issue) ? issue.type : undefined;
    const key =
      type === 'error'
        ? 'errors'
        : type === 'warning'
          ? 'warnings'
          : type === 'notice'
            ? 'notices'
            : undefined;
    if (key === undefined) return malformed('an issue has no `type` of error, warning or notice');
    values[key] = (values[key] ?? 0) + 1;
  }
  return measured(values);
}
