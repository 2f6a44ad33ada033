import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { FlowlineError } from '../core/errors.js';
import { initConfig, parseConfig } from './index.js';
import { sanitizeName } from './init.js';

let dir: string;

beforeEach(async () => {
  dir = await mkdtemp(path.join(tmpdir(), 'flowline-init-'));
});

afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

function validate(content: string) {
  const result = parseConfig(content, 'flowline.yaml');
  expect(result.ok ? [] : result.errors).toEqual([]);
  expect(result.warnings).toEqual([]);
  if (!result.ok) throw new Error('invalid');
  return result.config;
}

describe('initConfig', () => {
  it('turns package.json scripts and the lockfile into build, stages and run', async () => {
    await writeFile(
      path.join(dir, 'package.json'),
      JSON.stringify({
        name: '@acme/Web_Shop',
        scripts: { build: 'tsc', test: 'vitest run', lint: 'biome ci .', start: 'node dist/server.js' },
      }),
    );
    await writeFile(path.join(dir, 'package-lock.json'), '{}');
    await mkdir(path.join(dir, 'src'));
    const result = await initConfig(dir, {});
    expect(result.path).toBe(path.join(dir, 'flowline.yaml'));
    expect(await readFile(result.path, 'utf8')).toBe(result.content);
    expect(result.content.split('\n')[0]).toBe('# yaml-language-server: $schema=./flowline.schema.json');
    const schema = JSON.parse(await readFile(path.join(dir, 'flowline.schema.json'), 'utf8'));
    expect(schema.additionalProperties).toBe(false);
    const config = validate(result.content);
    expect(config.service).toBe('web-shop');
    expect(config.build.command).toBe('npm ci && npm run build');
    expect(config.build.inputs).toEqual(['package.json', 'package-lock.json', 'src/**']);
    expect(Object.keys(config.stages)).toEqual(['test', 'lint']);
    expect(config.stages.test?.steps[0]?.run).toBe('npm run test');
    expect(config.stages.lint?.needs).toEqual([]);
    expect(config.run?.command).toBe('npm run start');
    expect(result.detected).toEqual([
      'package.json: service `web-shop`',
      'package-lock.json: installs with `npm ci`',
      'scripts: build, test, lint, start',
      'no health endpoint in the sources (looked for /healthz, /health, /livez, /readyz, /ready, /ping): until the app serves one and `run.health.path` names it, an open port counts as healthy',
      'wrote flowline.schema.json for editor completion (refresh it with `flowline schema -o flowline.schema.json`)',
    ]);
    // Nothing assumed: the health check stays a comment that says why.
    expect(config.run?.health.path).toBeUndefined();
    expect(result.content).toContain('  # health: { path: /healthz }\n');
  });

  it('checks the health path the app’s sources serve, and says where it found it', async () => {
    await writeFile(
      path.join(dir, 'package.json'),
      JSON.stringify({ name: 'api', scripts: { start: 'node src/server.js' } }),
    );
    await mkdir(path.join(dir, 'src', 'routes'), { recursive: true });
    await mkdir(path.join(dir, 'node_modules', 'dep'), { recursive: true });
    // A dependency's and a test's routes are not the app's.
    await writeFile(path.join(dir, 'node_modules', 'dep', 'index.js'), "app.get('/healthz', ok);\n");
    await writeFile(path.join(dir, 'src', 'server.test.js'), "get('/healthz');\n");
    await writeFile(
      path.join(dir, 'src', 'routes', 'ops.js'),
      'router.get(\'/ping\', pong);\nrouter.get("/health?deep=1", deep);\n',
    );
    const result = await initConfig(dir, {});
    expect(validate(result.content).run?.health.path).toBe('/health');
    expect(result.content).toContain('  health: { path: /health }   # found in src/routes/ops.js\n');
    expect(result.detected).toContain('health check: `/health` (found in src/routes/ops.js)');
  });

  it('writes a canary that waits for enough traffic to judge, and rolls back only on failures', async () => {
    await writeFile(path.join(dir, 'package.json'), JSON.stringify({ name: 'api' }));
    const config = validate((await initConfig(dir, {})).content);
    const strategy = config.environments.production?.strategy;
    expect(strategy).toMatchObject({
      kind: 'canary',
      steps: [
        { kind: 'setWeight', weight: 20 },
        { kind: 'pause', duration: 30_000 },
        { kind: 'setWeight', weight: 50 },
        { kind: 'pause', duration: 30_000 },
      ],
      analysis: { templates: ['error-rate'], startingStep: 0 },
    });
    expect(config.analysis.templates['error-rate']?.metrics).toEqual([
      expect.objectContaining({
        name: 'errors',
        interval: 10_000,
        count: undefined,
        successCondition: 'result < 0.01',
        failureLimit: 2,
        inconclusiveLimit: 0,
        sampleTimeout: 60_000,
        provider: { kind: 'router', signal: 'errorRate', window: 60_000, minSamples: 20 },
      }),
    ]);
  });

  it('writes the canary docs/analysis.md shows as what init writes', async () => {
    await writeFile(path.join(dir, 'package.json'), JSON.stringify({ name: 'api' }));
    const written = validate((await initConfig(dir, {})).content);
    const docs = await readFile(new URL('../../docs/analysis.md', import.meta.url), 'utf8');
    const shown =
      /```yaml\n(environments:[\s\S]*?templateName: canary-errors[\s\S]*?)```/.exec(docs)?.[1] ?? '';
    const parsed = parseConfig(`version: 1\nservice: api\nrun: { command: x }\n${shown}`, 'docs/analysis.md');
    if (!parsed.ok) throw new Error(JSON.stringify(parsed.errors));
    const strategy = parsed.config.environments.production?.strategy;
    expect(written.environments.production?.strategy).toEqual(
      strategy?.kind === 'canary' && strategy.analysis
        ? { ...strategy, analysis: { ...strategy.analysis, templates: ['error-rate'] } }
        : 'the docs show a canary with background analysis',
    );
    expect(written.analysis.templates['error-rate']?.metrics).toEqual(
      parsed.config.analysis.templates['canary-errors']?.metrics,
    );
  });

  it('uses pnpm when it finds pnpm-lock.yaml, and ignores the npm placeholder test script', async () => {
    await writeFile(
      path.join(dir, 'package.json'),
      JSON.stringify({
        name: 'api',
        main: 'index.js',
        scripts: { test: 'echo "Error: no test specified" && exit 1' },
      }),
    );
    await writeFile(path.join(dir, 'pnpm-lock.yaml'), '');
    const config = validate((await initConfig(dir, { service: 'orders' })).content);
    expect(config.service).toBe('orders');
    expect(config.build.command).toBe('pnpm install --frozen-lockfile');
    expect(config.build.inputs).toEqual(['**']);
    expect(config.run?.command).toBe('node index.js');
  });

  it('writes a commented generic template without package.json', async () => {
    const named = path.join(dir, 'Billing Service');
    await mkdir(named);
    const result = await initConfig(named, {});
    expect(result.content).toMatch(/# command: make build/);
    expect(result.detected[0]).toBe('no package.json: wrote a generic template, fill in the commands');
    const config = validate(result.content);
    expect(config.service).toBe('billing-service');
    expect(Object.keys(config.environments)).toEqual(['preview', 'staging', 'production']);
  });

  it('refuses to overwrite an existing flowline.yaml', async () => {
    await writeFile(path.join(dir, 'flowline.yaml'), 'mine\n');
    const error = await initConfig(dir, {}).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(FlowlineError);
    expect((error as FlowlineError).code).toBe('FLOWLINE_INIT_EXISTS');
    expect((error as FlowlineError).hint).toMatch(/--force/);
    expect(await readFile(path.join(dir, 'flowline.yaml'), 'utf8')).toBe('mine\n');
  });

  it('overwrites with force', async () => {
    await writeFile(path.join(dir, 'flowline.yaml'), 'mine\n');
    const result = await initConfig(dir, { force: true });
    expect(await readFile(path.join(dir, 'flowline.yaml'), 'utf8')).toBe(result.content);
  });

  it('takes the trunk branch from the repository when it is not main', async () => {
    await mkdir(path.join(dir, '.git'));
    await writeFile(path.join(dir, '.git', 'HEAD'), 'ref: refs/heads/master\n');
    expect(validate((await initConfig(dir, {})).content).pipeline.trunk).toBe('master');
  });

  it('refuses a folder that does not exist', async () => {
    const error = await initConfig(path.join(dir, 'nope'), {}).catch((e: unknown) => e);
    expect((error as FlowlineError).code).toBe('FLOWLINE_USAGE');
  });
});

describe('sanitizeName', () => {
  it('turns package names into DNS labels', () => {
    expect(sanitizeName('@scope/My_App')).toBe('my-app');
    expect(sanitizeName('2fast')).toBe('fast');
    expect(sanitizeName('---')).toBe('app');
    expect(sanitizeName('a'.repeat(80))).toHaveLength(63);
  });
});
