import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { Command } from 'commander';
import { describe, expect, it } from 'vitest';
import { registerPipeline } from '../cli/register/pipeline.js';
import { formatIssues, parseConfig } from '../config/index.js';
import { renderSummary } from '../pipeline/index.js';
import { measureStage, PARSERS } from './index.js';

/**
 * Every example in docs/quality.md, run: each YAML block through the real config parser, each
 * sample report through its parser against the figures the page says it measures, the refusal
 * and the run-summary lines against what the code prints, and each command line against the CLI's
 * own options.
 */

const DOC = new URL('../../docs/quality.md', import.meta.url);

interface Block {
  readonly info: string;
  readonly text: string;
  /** The page after the block: where "Measures:" follows a sample. */
  readonly after: string;
}

async function blocks(): Promise<Block[]> {
  const lines = (await readFile(DOC, 'utf8')).split('\n');
  const found: Block[] = [];
  let open: { info: string; lines: string[] } | undefined;
  lines.forEach((line, index) => {
    const fence = /^```(.*)$/.exec(line);
    if (fence && open === undefined) open = { info: fence[1] ?? '', lines: [] };
    else if (fence && open !== undefined) {
      found.push({
        info: open.info,
        text: `${open.lines.join('\n')}\n`,
        after: lines.slice(index + 1, index + 4).join('\n'),
      });
      open = undefined;
    } else open?.lines.push(line);
  });
  return found;
}

const STAGES =
  'stages:\n  unit: { steps: [{ run: t }] }\n  lint: { steps: [{ run: t }] }\n  audit: { steps: [{ run: t }] }\n  a11y: { steps: [{ run: t }] }\n';

describe('docs/quality.md', () => {
  it('has YAML examples the config accepts without a warning', async () => {
    const yaml = (await blocks()).filter((b) => b.info === 'yaml');
    expect(yaml.length).toBeGreaterThanOrEqual(9);
    for (const block of yaml) {
      const result = parseConfig(`version: 1\nservice: shop\n${STAGES}${block.text}`, 'docs/quality.md');
      expect(result.ok ? [] : result.errors, block.text).toEqual([]);
      expect(result.warnings, block.text).toEqual([]);
    }
  });

  it('measures from each sample report what the page says', async () => {
    const samples = (await blocks()).filter((b) => b.info === 'lcov' || /^(xml|json) /.test(b.info));
    expect(samples.map((b) => b.info)).toEqual([
      'lcov',
      'xml cobertura',
      'json sarif',
      'json eslint',
      'json npm-audit',
      'json axe',
      'json pa11y',
    ]);
    for (const sample of samples) {
      const format = sample.info === 'lcov' ? 'lcov' : (sample.info.split(' ')[1] ?? '');
      const parsed = PARSERS[format]?.(sample.text);
      if (parsed === undefined || !parsed.ok) throw new Error(`${format}: ${JSON.stringify(parsed)}`);
      const stated = /Measures: `([^`]*)`/.exec(sample.after)?.[1];
      const shown = Object.entries(parsed.values)
        .map(([metric, value]) => `${metric} ${value}`)
        .join(', ');
      expect(shown, format).toBe(stated);
    }
  });

  it('shows the refusal of an unknown method as flowline prints it', async () => {
    const shown = (await blocks()).find((b) => b.text.startsWith('flowline.yaml:'))?.text ?? '';
    // Line 13, column 15: `method` of the first deliverable below.
    const file = `version: 1\nservice: shop\n${STAGES}quality:\n  deliverables:\n    - id: unit-coverage\n      name: Unit test coverage\n      standard: Tested.\n      method: coverge\n      stage: unit\n      report: coverage/lcov.info\n      aql: lines >= 80%\n`;
    const result = parseConfig(file, 'flowline.yaml');
    if (result.ok) throw new Error('expected a refusal');
    expect(formatIssues(result.errors, { color: false, sources: { 'flowline.yaml': file } }).trimEnd()).toBe(
      shown.trimEnd(),
    );
  });

  it('shows the run summary lines the runner prints for a malformed and a good report', async () => {
    const shown = (await blocks()).find((b) => b.text.includes('✘ quality'))?.text ?? '';
    const dir = await mkdtemp(path.join(os.tmpdir(), 'flowline-quality-doc-'));
    try {
      await mkdir(path.join(dir, 'coverage'));
      await writeFile(path.join(dir, 'coverage', 'lcov.info'), 'SF:src/app.js\nDA:one,1\nend_of_record\n');
      await writeFile(
        path.join(dir, 'audit.json'),
        JSON.stringify({
          metadata: { vulnerabilities: { info: 0, low: 2, moderate: 0, high: 0, critical: 0, total: 2 } },
        }),
      );
      const parsed = parseConfig(
        `version: 1\nservice: shop\n${STAGES}quality:\n  deliverables:\n    - { id: unit-coverage, name: C, standard: S, method: coverage, stage: unit, report: coverage/lcov.info, aql: lines >= 1 }\n    - { id: no-high-vulns, name: V, standard: S, method: vulnerabilities, stage: audit, report: audit.json, aql: high == 0 }\n`,
        'flowline.yaml',
      );
      if (!parsed.ok) throw new Error(JSON.stringify(parsed.errors));
      const plan = parsed.config.quality;
      const quality = [
        ...(await measureStage(plan, { name: 'unit', exitCode: 0 }, dir)),
        ...(await measureStage(plan, { name: 'audit', exitCode: 0 }, dir)),
      ];
      const summary = renderSummary(
        {
          runId: 'run_1',
          service: 'shop',
          status: 'succeeded',
          commit: null,
          where: { host: 'h' },
          artifact: null,
          only: null,
          startedAt: '2026-11-20T10:00:00.000Z',
          finishedAt: '2026-11-20T10:00:01.000Z',
          durationMs: 1000,
          stages: [],
          quality,
        },
        new Map(),
        false,
      );
      for (const line of shown.split('\n').filter((l) => l.includes('quality')))
        expect(summary).toContain(line);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('shows commands with options the CLI has', async () => {
    const program = new Command('flowline');
    // The report's commands as the CLI registers them; nothing runs.
    registerPipeline(program, () => async () => undefined);
    const lines = (await blocks())
      .filter((b) => b.info === 'sh')
      .flatMap((b) => b.text.split('\n'))
      .map((line) => line.replace(/\s+#.*$/, '').trim())
      .filter((line) => line.startsWith('flowline '));
    expect(lines.length).toBeGreaterThanOrEqual(6);
    for (const line of lines) {
      const words = line.match(/"[^"]*"|\S+/g) ?? [];
      let command: Command = program;
      for (const word of words.slice(1)) {
        const sub = command.commands.find((c) => c.name() === word);
        if (sub === undefined) break;
        command = sub;
      }
      if (command.name() === 'report')
        command = command.commands.find((c) => c.name() === 'quality') ?? command;
      const known = new Set(command.options.flatMap((o) => [o.long, o.short]));
      for (const option of words.filter((w) => w.startsWith('-')))
        expect(known.has(option), `${line}: ${option}`).toBe(true);
    }
  });
});
