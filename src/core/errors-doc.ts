import { ERROR_CODES, type ErrorCode, exitCodeOf, httpStatusOf } from './errors.js';

/** Renders docs/errors.md from the catalogue, so the document cannot fall behind the code. */
export function renderErrorsDoc(): string {
  const rows = (Object.keys(ERROR_CODES) as ErrorCode[]).map((code) => {
    const info = ERROR_CODES[code];
    return `| \`${code}\` | ${httpStatusOf(code)} | ${exitCodeOf(code)} | ${info.summary} | ${info.fix} |`;
  });
  return [
    '# Errors',
    '',
    '<!-- Generated from src/core/errors.ts by `npm run docs:errors`; a test fails when it is stale. -->',
    '',
    'Every error Flowline reports carries a stable code. The API answers',
    '`{ "error": { "code", "message", "hint", "location", "issues" } }` with the HTTP status below;',
    'the CLI prints the code, the message, where (file:line:col or field path) and a hint on stderr',
    '(or the same JSON on stdout with `--json`) and exits with the exit code below.',
    '',
    '| code | HTTP | exit | when | what to do |',
    '| --- | --- | --- | --- | --- |',
    ...rows,
    '',
    '## Exit codes',
    '',
    '| exit | meaning |',
    '| --- | --- |',
    '| 0 | success |',
    '| 1 | the operation ran and failed (a failed check, a broken audit chain, a failed pipeline) |',
    '| 2 | invalid input or usage (bad arguments, invalid flowline.yaml) |',
    '| 3 | not found |',
    '| 4 | conflict with the current state |',
    '| 5 | not authenticated, or not allowed |',
    '| 6 | unavailable: a server, the store or a port cannot be used right now |',
    '| 7 | not supported in this setup |',
    '| 70 | internal error (a bug: please report it) |',
    '',
  ].join('\n');
}
