import { isObject, malformed, measured, type Parsed, readJson } from './result.js';

const SEVERITIES = ['info', 'low', 'moderate', 'high', 'critical'] as const;

/**
 * Vulnerable dependencies by severity from `npm audit --json` (npm 7 and later, report version 2):
 * `metadata.vulnerabilities` counts the vulnerable packages per severity and in `total`. An audit
 * that could not run writes `{ "error": { "summary" } }`: that is no measurement, so it is refused.
 */
export function parseNpmAudit(text: string): Parsed {
  const json = readJson(text);
  if (!json.ok) return json.parsed;
  const doc = json.value;
  if (isObject(doc) && isObject(doc.error)) {
    return malformed(`npm audit did not run: ${String(doc.error.summary ?? doc.error.code ?? 'an error')}`);
  }
  const metadata = isObject(doc) && isObject(doc.metadata) ? doc.metadata : undefined;
  const counts =
    metadata !== undefined && isObject(metadata.vulnerabilities) ? metadata.vulnerabilities : undefined;
  if (counts === undefined) return malformed('no `metadata.vulnerabilities`: not `npm audit --json` output');
  const values: Record<string, number> = {};
  for (const severity of SEVERITIES) {
    const n = counts[severity];
    if (typeof n !== 'number' || !Number.isInteger(n) || n < 0) {
      return malformed(`\`metadata.vulnerabilities.${severity}\` is not a count`);
    }
    values[severity] = n;
  }
  // npm 6 had no `total`: the sum is the same figure.
  values.total =
    typeof counts.total === 'number' ? counts.total : SEVERITIES.reduce((s, k) => s + (values[k] ?? 0), 0);
  return measured(values);
}
