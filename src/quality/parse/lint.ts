import { isObject, malformed, measured, type Parsed, readJson } from './result.js';

/**
 * Lint errors and warnings from the two report formats linters write:
 * - SARIF 2.1.0 (OASIS): every run's `results`; a result's level is its `level`, else its rule's
 *   `defaultConfiguration.level`, else `warning` — or `none` when its `kind` is not `fail`
 *   (SARIF §3.27.9, §3.27.10). Suppressed results (a suppression not `rejected` or `underReview`)
 *   are not counted. `error` → errors, `warning` → warnings; `note` and `none` are not counted.
 * - ESLint's `json` formatter: an array of files whose `messages` have `severity` 2 (error) or 1
 *   (warning).
 */
export function parseSarif(text: string): Parsed {
  const json = readJson(text);
  if (!json.ok) return json.parsed;
  const doc = json.value;
  if (!isObject(doc) || !Array.isArray(doc.runs)) return malformed('no `runs` array: not a SARIF log');
  let errors = 0;
  let warnings = 0;
  for (const [index, run] of doc.runs.entries()) {
    if (!isObject(run)) return malformed(`runs[${index}] is not an object`);
    const results = run.results ?? [];
    if (!Array.isArray(results)) return malformed(`runs[${index}].results is not an array`);
    const rules = driverRules(run);
    for (const result of results) {
      if (!isObject(result) || suppressed(result)) continue;
      const level = levelOf(result, rules);
      if (level === 'error') errors++;
      else if (level === 'warning') warnings++;
    }
  }
  return measured({ errors, warnings });
}

function driverRules(run: Record<string, unknown>): unknown[] {
  const tool = isObject(run.tool) ? run.tool : {};
  const driver = isObject(tool.driver) ? tool.driver : {};
  return Array.isArray(driver.rules) ? driver.rules : [];
}

function levelOf(result: Record<string, unknown>, rules: unknown[]): unknown {
  if (typeof result.level === 'string') return result.level;
  if (result.kind !== undefined && result.kind !== 'fail') return 'none';
  const rule =
    typeof result.ruleIndex === 'number'
      ? rules[result.ruleIndex]
      : rules.find((r) => isObject(r) && r.id === result.ruleId);
  const config = isObject(rule) && isObject(rule.defaultConfiguration) ? rule.defaultConfiguration : {};
  return typeof config.level === 'string' ? config.level : 'warning';
}

function suppressed(result: Record<string, unknown>): boolean {
  if (!Array.isArray(result.suppressions) || result.suppressions.length === 0) return false;
  return result.suppressions.some(
    (s) => !isObject(s) || (s.status !== 'rejected' && s.status !== 'underReview'),
  );
}

export function parseEslint(text: string): Parsed {
  const json = readJson(text);
  if (!json.ok) return json.parsed;
  if (!Array.isArray(json.value))
    return malformed('not an array of files: not ESLint `json` formatter output');
  let errors = 0;
  let warnings = 0;
  for (const [index, file] of json.value.entries()) {
    if (!isObject(file) || !Array.isArray(file.messages))
      return malformed(`entry ${index} has no \`messages\` array`);
    for (const message of file.messages) {
      const severity = isObject(message) ? message.severity : undefined;
      if (severity === 2) errors++;
      else if (severity === 1) warnings++;
    }
  }
  return measured({ errors, warnings });
}
