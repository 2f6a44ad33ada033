/**
 * What the flags view derives from the API's answers, kept pure so it is tested in node
 * (flags-logic.test.ts): a flag's state, who pulled a kill switch, the editor's issues with
 * positions in its text.
 */
import { type ApiErrorBody, type ApiIssue, query } from '../api/client.js';
import type { FlagDefinition, FlagHistoryEntry, FlagOverview } from '../api/flags.js';
import { locate, syntaxErrorPosition } from './flags-json.js';

export type FlagState = 'killed' | 'on' | 'off';

/** The kill switch wins over everything; then `enabled` (a schedule may still change it). */
export function flagState(flag: FlagDefinition): FlagState {
  if (flag.killed === true) return 'killed';
  return flag.enabled === true ? 'on' : 'off';
}

/** `3 rules`, `flagd targeting`, `no rules`: how a flag decides, in a few words. */
export function rulesText(flag: FlagDefinition): string {
  if (flag.targeting !== undefined) return 'flagd targeting';
  const count = flag.rules?.length ?? 0;
  return count === 0 ? 'no rules' : count === 1 ? '1 rule' : `${count} rules`;
}

/** Every flag key of the service, in any environment, sorted. */
export function flagKeys(overview: FlagOverview): string[] {
  const keys = new Set<string>();
  for (const env of overview.environments) for (const key of Object.keys(env.definition.flags)) keys.add(key);
  return [...keys].sort();
}

/** The definition of `key` in one environment's set, if it has it (own keys only). */
export function flagIn(
  definition: { readonly flags: Readonly<Record<string, FlagDefinition>> },
  key: string,
): FlagDefinition | undefined {
  return Object.hasOwn(definition.flags, key) ? definition.flags[key] : undefined;
}

/** Who killed `key` and when: the newest `flag.kill` version naming it, when the history has it. */
export function lastKill(
  history: readonly FlagHistoryEntry[],
  key: string,
): { readonly by: string; readonly at: string } | undefined {
  const entry = history.find((e) => e.action === 'flag.kill' && e.flags.includes(key));
  return entry === undefined ? undefined : { by: entry.actor.name, at: entry.at };
}

/** Single-flag routes cannot address these keys (route names): such flags are saved with PUT. */
export const RESERVED_KEYS: ReadonlySet<string> = new Set([
  'evaluate',
  'evaluations',
  'stream',
  'history',
  'triggers',
  'validate',
]);

/** The editor's text as the CLI reads a flag file: JSON, or the CLI's error for text that is not. */
export function parseFlagText(
  text: string,
): { readonly ok: true; readonly value: unknown } | { readonly ok: false; readonly error: ApiErrorBody } {
  try {
    return { ok: true, value: JSON.parse(text) };
  } catch (error) {
    // V8 quotes the whole text in some messages (`…, "{…}" is not valid JSON`): not repeated here.
    const message = (error instanceof Error ? error.message : String(error)).replace(
      /, (?:\.\.\.)?".*"(?:\.\.\.)? is not valid JSON$/s,
      '',
    );
    const at = syntaxErrorPosition(text, message);
    // `flowline flags set --file` answers FLOWLINE_USAGE for a file that is not JSON: the same here.
    return {
      ok: false,
      error: {
        code: 'FLOWLINE_USAGE',
        message: `The definition is not JSON: ${message}`,
        hint: 'Give the flag definition as JSON (docs/flags.md, "The model").',
        issues: [{ code: 'invalid_json', message, ...(at === undefined ? {} : at) }],
      },
    };
  }
}

/**
 * The server's issues for one flag, with line:col in the editor's text: paths under
 * `flags.<key>` are that flag's (made relative to the text); others (a segment, another flag in
 * a prerequisite cycle) keep their path and have no position in this text.
 */
export function placeIssues(error: ApiErrorBody, key: string, text: string): ApiErrorBody {
  const prefix = `flags.${key}`;
  const place = (issue: ApiIssue): ApiIssue => {
    const path = issue.path;
    if (
      path === undefined ||
      !(path === prefix || path.startsWith(`${prefix}.`) || path.startsWith(`${prefix}[`))
    )
      return issue;
    const at = locate(text, path.slice(prefix.length));
    return at === undefined ? issue : { ...issue, ...at };
  };
  return { ...error, issues: (error.issues ?? []).map(place) };
}

/** Total evaluations per variant over the charted hours. */
export function totals(series: Readonly<Record<string, readonly number[]>>): [string, number][] {
  return Object.entries(series)
    .map(([variant, counts]): [string, number] => [variant, counts.reduce((a, b) => a + b, 0)])
    .sort((a, b) => b[1] - a[1]);
}

/** Where the view is: `/flags/:service/:environment?flag=key&range=7d`, so a link shares it. */
export function flagsHref(
  service: string,
  environment?: string,
  options: { readonly flag?: string | undefined; readonly range?: string | undefined } = {},
): string {
  const base = `/flags/${encodeURIComponent(service)}${environment === undefined ? '' : `/${encodeURIComponent(environment)}`}`;
  return `${base}${query({ flag: options.flag, range: options.range === '7d' ? '7d' : undefined })}`;
}
