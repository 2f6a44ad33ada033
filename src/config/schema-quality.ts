import { z } from 'zod';
import { QUALITY_METHODS } from './aql.js';
import { dnsLabel, identifier, nonEmpty } from './schema-common.js';

/**
 * The quality plan (a QASP): deliverables with the four columns of a government Quality Assurance
 * Surveillance Plan — the deliverable, its performance standard, its acceptable quality level and
 * its method of assessment (docs/quality.md). Which fields a method takes, and which metrics its
 * AQL may name, are checked by rules-quality.ts so that each problem is reported at its field.
 */

/** A path inside the repository, as a stage writes it (`coverage/lcov.info`). */
const repoPath = () =>
  z
    .string()
    .min(1)
    .max(1000)
    .refine((p) => !p.startsWith('/') && !p.split(/[\\/]/).includes('..'), {
      message: 'must be a path inside the repository (relative, without `..`)',
      params: {
        code: 'invalid_path',
        hint: 'write it relative to the repository root, e.g. `coverage/lcov.info`',
      },
    });

const deliverableSchema = z
  .strictObject({
    id: identifier().describe('Short stable id of the deliverable, e.g. `unit-coverage`.'),
    name: nonEmpty().max(500).describe('The deliverable, as the contract names it.'),
    standard: nonEmpty().max(5000).describe('The performance standard: what good looks like, in words.'),
    aql: z
      .union([nonEmpty(), z.array(nonEmpty()).min(1)])
      .optional()
      .describe(
        'Acceptable quality level: `<metric> <op> <value>` (e.g. `lines >= 80%`), or a list that must all hold. Free text for a manual method.',
      ),
    method: z.enum(QUALITY_METHODS).describe('Method of assessment.'),
    stage: z
      .string()
      .min(1)
      .optional()
      .describe(
        'The stage (or `build`) that produces the report; its exit code for `lint` without `report`.',
      ),
    report: repoPath().optional().describe('The report file that stage writes, relative to the repository.'),
    format: z
      .string()
      .min(1)
      .optional()
      .describe('The report format: lcov | cobertura, sarif | eslint, npm-audit, axe | pa11y.'),
    environment: dnsLabel()
      .optional()
      .describe('`dora`: the environment measured (default production); `deployment`: default staging.'),
    files: z.array(repoPath()).min(1).optional().describe('`documentation`: files that must exist.'),
    signedOffBy: nonEmpty()
      .max(500)
      .optional()
      .describe('`manual`: who assesses it (a role or a name), shown in the report.'),
  })
  .describe('One deliverable of the quality plan.');

export const qualitySchema = z
  .strictObject({
    deliverables: z.array(deliverableSchema).default([]).describe('The deliverables, in report order.'),
  })
  .prefault({})
  .describe('The quality plan (QASP) `flowline report` assesses: see docs/quality.md.');
