import { createHash } from 'node:crypto';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { parseConfig, type QualityPlan } from '../config/index.js';
import { measureDocumentation, measureStage } from './measure.js';

let repo: string;
beforeEach(async () => {
  repo = await mkdtemp(path.join(os.tmpdir(), 'flowline-measure-'));
});
afterEach(async () => {
  await rm(repo, { recursive: true, force: true });
});

function plan(deliverables: string): QualityPlan {
  const result = parseConfig(
    `version: 1\nservice: shop\nstages:\n  unit: { steps: [{ run: t }] }\n  lint: { steps: [{ run: t }] }\nquality:\n  deliverables:\n${deliverables}`,
    'flowline.yaml',
  );
  if (!result.ok) throw new Error(JSON.stringify(result.errors));
  return result.config.quality;
}

const sha256 = (text: string) => createHash('sha256').update(text).digest('hex');

describe('measuring after a stage', () => {
  const coverage = plan(
    '    - { id: cov, name: C, standard: S, method: coverage, stage: unit, report: coverage/cobertura.xml, format: cobertura, aql: lines >= 1 }\n' +
      '    - { id: lint, name: L, standard: S, method: lint, stage: lint, aql: exitCode == 0 }\n',
  );

  it('reads the report of the stage that ended, with the sha256 of the bytes read', async () => {
    const xml = '<coverage lines-valid="4" lines-covered="3" branches-valid="0" branches-covered="0"/>';
    await mkdir(path.join(repo, 'coverage'));
    await writeFile(path.join(repo, 'coverage', 'cobertura.xml'), xml);
    expect(await measureStage(coverage, { name: 'unit', exitCode: 1 }, repo)).toEqual([
      {
        deliverable: 'cov',
        method: 'coverage',
        stage: 'unit',
        values: { lines: 75 },
        error: null,
        file: 'coverage/cobertura.xml',
        sha256: sha256(xml),
      },
    ]);
  });

  it('records a missing report as a failed measurement naming the file', async () => {
    const [m] = await measureStage(coverage, { name: 'unit', exitCode: 0 }, repo);
    expect(m).toMatchObject({
      values: null,
      sha256: null,
      error: {
        code: 'FLOWLINE_QUALITY_REPORT_MISSING',
        file: 'coverage/cobertura.xml',
        message: 'coverage/cobertura.xml, the report of deliverable cov: the stage did not write it',
      },
    });
  });

  it('judges lint without a report by its exit code, and nothing by a stage killed by a signal', async () => {
    expect(await measureStage(coverage, { name: 'lint', exitCode: 3 }, repo)).toMatchObject([
      { deliverable: 'lint', values: { exitCode: 3 }, file: null },
    ]);
    expect(await measureStage(coverage, { name: 'lint', exitCode: null }, repo)).toEqual([]);
    expect(await measureStage(coverage, { name: 'other', exitCode: 0 }, repo)).toEqual([]);
  });
});

describe('measuring documentation', () => {
  it('lists each file with its sha256, or null when missing', async () => {
    await writeFile(path.join(repo, 'README.md'), '# shop\n');
    const docs = plan(
      '    - { id: docs, name: D, standard: S, method: documentation, files: [README.md, docs/runbook.md], aql: missing == 0 }\n',
    );
    expect(await measureDocumentation(docs, repo)).toEqual([
      {
        deliverable: 'docs',
        method: 'documentation',
        stage: null,
        values: { missing: 1, present: 1 },
        error: null,
        file: null,
        sha256: null,
        files: { 'README.md': sha256('# shop\n'), 'docs/runbook.md': null },
      },
    ]);
  });
});
