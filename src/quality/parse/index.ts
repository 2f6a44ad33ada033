import { parseAxe, parsePa11y } from './a11y.js';
import { parseNpmAudit } from './audit.js';
import { parseCobertura, parseLcov } from './coverage.js';
import { parseEslint, parseSarif } from './lint.js';
import type { Parsed } from './result.js';

export type { Parsed, ReportProblem } from './result.js';

/** The parser of each report format the quality plan reads (config/aql.ts lists them per method). */
export const PARSERS: Readonly<Record<string, (text: string) => Parsed>> = {
  lcov: parseLcov,
  cobertura: parseCobertura,
  sarif: parseSarif,
  eslint: parseEslint,
  'npm-audit': parseNpmAudit,
  axe: parseAxe,
  pa11y: parsePa11y,
};
