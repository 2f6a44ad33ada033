import { readFile, stat, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { parse as parseYaml } from 'yaml';
import { FlowlineError } from '../core/errors.js';
import { findHealthPath, HEALTH_PATHS, type HealthPathFound } from './init-detect.js';
import { configJsonSchema, SCHEMA_FILE } from './json-schema.js';

/**
 * `flowline init`: a starter flowline.yaml from what the repository shows. A Node.js project
 * (package.json) gets its scripts and lockfile turned into the build, stages and run command;
 * anything else gets a commented template to fill in. The file always validates as written.
 */
export interface InitOptions {
  readonly force?: boolean;
  /** Service name; default from package.json `name`, else the folder name. */
  readonly service?: string;
}

export interface InitResult {
  readonly path: string;
  readonly content: string;
  /** What was found, one line each, for the CLI to show. */
  readonly detected: string[];
}

export const CONFIG_FILE = 'flowline.yaml';

interface Detected {
  readonly service: string;
  readonly trunk: string;
  readonly install: string;
  readonly runScript: string;
  readonly scripts: ReadonlySet<string>;
  readonly inputs: readonly string[];
  readonly start: string | undefined;
}

const LOCKFILES: readonly (readonly [file: string, install: string, run: string])[] = [
  ['pnpm-lock.yaml', 'pnpm install --frozen-lockfile', 'pnpm run'],
  ['yarn.lock', 'yarn install --frozen-lockfile', 'yarn run'],
  ['package-lock.json', 'npm ci', 'npm run'],
];

export async function initConfig(repoDir: string, options: InitOptions = {}): Promise<InitResult> {
  const info = await stat(repoDir).catch(() => undefined);
  if (!info?.isDirectory()) {
    throw new FlowlineError('FLOWLINE_USAGE', `${repoDir} is not a directory`, {
      hint: 'run `flowline init` in your repository, or pass its folder: `flowline init <dir>`',
    });
  }
  const file = path.join(repoDir, CONFIG_FILE);
  const detected: string[] = [];
  const node = await detectNode(repoDir, options.service, detected);
  const health = await findHealthPath(repoDir);
  const content = node
    ? nodeTemplate(node, health)
    : genericTemplate(
        sanitizeName(options.service ?? path.basename(path.resolve(repoDir))),
        await trunkOf(repoDir),
        health,
      );
  if (!node) detected.push('no package.json: wrote a generic template, fill in the commands');
  detected.push(
    health === undefined
      ? `no health endpoint in the sources (looked for ${HEALTH_PATHS.join(', ')}): until the app serves one and \`run.health.path\` names it, an open port counts as healthy`
      : `health check: \`${health.path}\` (found in ${health.file})`,
  );
  try {
    await writeFile(file, content, { flag: options.force ? 'w' : 'wx' });
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'EEXIST') {
      throw new FlowlineError('FLOWLINE_INIT_EXISTS', `${file} already exists`, {
        hint: 'edit it, or pass `--force` to replace it',
        location: { file },
      });
    }
    throw error;
  }
  // Editors (the YAML language server) read the schema from beside the file: no network needed.
  await writeFile(path.join(repoDir, SCHEMA_FILE), `${JSON.stringify(configJsonSchema(), null, 2)}\n`);
  detected.push(
    `wrote ${SCHEMA_FILE} for editor completion (refresh it with \`flowline schema -o ${SCHEMA_FILE}\`)`,
  );
  return { path: file, content, detected };
}

async function detectNode(
  dir: string,
  service: string | undefined,
  detected: string[],
): Promise<Detected | undefined> {
  const text = await readFile(path.join(dir, 'package.json'), 'utf8').catch(() => undefined);
  if (text === undefined) return undefined;
  let pkg: { name?: unknown; scripts?: unknown; main?: unknown } = {};
  try {
    pkg = JSON.parse(text) as typeof pkg;
  } catch {
    detected.push('package.json is not valid JSON: ignored its contents');
  }
  const name = sanitizeName(
    service ?? (typeof pkg.name === 'string' ? pkg.name : path.basename(path.resolve(dir))),
  );
  detected.push(`package.json: service \`${name}\``);
  const scripts = new Set(
    Object.entries(typeof pkg.scripts === 'object' && pkg.scripts !== null ? pkg.scripts : {})
      // npm's placeholder test script fails on purpose; it is not a test suite.
      .filter(
        ([key, value]) =>
          typeof value === 'string' && !(key === 'test' && value.includes('no test specified')),
      )
      .map(([key]) => key),
  );
  let install = 'npm install';
  let runScript = 'npm run';
  const inputs = ['package.json'];
  const sources: string[] = [];
  for (const [lockfile, command, run] of LOCKFILES) {
    if (await exists(path.join(dir, lockfile))) {
      install = command;
      runScript = run;
      inputs.push(lockfile);
      detected.push(`${lockfile}: installs with \`${command}\``);
      break;
    }
  }
  for (const folder of ['src', 'lib', 'app', 'public', 'server']) {
    if (await exists(path.join(dir, folder))) sources.push(`${folder}/**`);
  }
  for (const extra of ['tsconfig.json', 'index.js', 'server.js']) {
    if (await exists(path.join(dir, extra))) sources.push(extra);
  }
  const used = ['build', 'test', 'lint', 'typecheck', 'start'].filter((script) => scripts.has(script));
  if (used.length > 0) detected.push(`scripts: ${used.join(', ')}`);
  const main = typeof pkg.main === 'string' ? pkg.main : undefined;
  const start = scripts.has('start') ? `${runScript} start` : main === undefined ? undefined : `node ${main}`;
  return {
    service: name,
    trunk: await trunkOf(dir),
    install,
    runScript,
    scripts,
    // Without a recognisable source folder, hash everything rather than miss a change.
    inputs: sources.length > 0 ? [...inputs, ...sources] : ['**'],
    start,
  };
}

function nodeTemplate(d: Detected, health: HealthPathFound | undefined): string {
  const build = d.scripts.has('build') ? `${d.install} && ${d.runScript} build` : d.install;
  const stages: string[] = [];
  const stage = (name: string, command: string, needs?: string) =>
    stages.push(
      `  ${name}:`,
      ...(needs === undefined ? [] : [`    needs: ${needs}`]),
      `    steps:`,
      `      - run: ${scalar(command)}`,
    );
  if (d.scripts.has('test')) stage('test', `${d.runScript} test`);
  // Checks of the sources need no artifact: `needs: []` starts them beside the build.
  if (d.scripts.has('lint')) stage('lint', `${d.runScript} lint`, '[]');
  if (d.scripts.has('typecheck')) stage('typecheck', `${d.runScript} typecheck`, '[]');
  if (stages.length === 0) stage('test', 'echo "add your test command here" && exit 1');
  return [
    ...header(d.service, d.trunk),
    'build:',
    '  # The one build; every environment deploys the artifact it produces.',
    `  command: ${scalar(build)}`,
    `  inputs: [${d.inputs.map(scalar).join(', ')}]   # hashed into the cache key`,
    '  output: .                   # folder bundled as the artifact (e.g. dist, if self-contained)',
    '',
    'stages:                       # run in parallel once their `needs` succeeded',
    ...stages,
    '',
    ...runSection(d.start ?? 'node server.js', d.start === undefined, health),
    ...environmentsSection(),
  ].join('\n');
}

function genericTemplate(service: string, trunk: string, health: HealthPathFound | undefined): string {
  return [
    ...header(service, trunk),
    'build:',
    '  # The one build; every environment deploys the artifact it produces.',
    '  # command: make build',
    '  inputs: ["**"]              # globs hashed into the cache key',
    '  output: .                   # folder bundled as the artifact',
    '',
    'stages:                       # run in parallel once their `needs` succeeded',
    '  test:',
    '    steps:',
    '      - run: echo "add your test command here" && exit 1',
    '',
    ...runSection('./start.sh', true, health),
    ...environmentsSection(),
  ].join('\n');
}

function header(service: string, trunk: string): string[] {
  return [
    `# yaml-language-server: $schema=./${SCHEMA_FILE}`,
    '# flowline.yaml: how Flowline builds, tests, deploys and releases this service.',
    '# Reference: docs/config.md. Check it with `flowline validate`.',
    'version: 1',
    `service: ${service}`,
    '',
    'pipeline:',
    `  trunk: ${scalar(trunk)}`,
    '',
  ];
}

function runSection(command: string, placeholder: boolean, health: HealthPathFound | undefined): string[] {
  return [
    'run:',
    `  command: ${scalar(command)}${placeholder ? '   # TODO: how to start one instance' : ''}`,
    '  port: { env: PORT }         # listen on the port Flowline passes in $PORT',
    '  instances: 1',
    ...(health === undefined
      ? [
          '  # No health endpoint was found in the sources: until the app serves one (e.g. /healthz',
          '  # answering 200) and `health.path` names it, an open port counts as healthy.',
          '  # health: { path: /healthz }',
        ]
      : [`  health: { path: ${health.path} }   # found in ${health.file}`]),
    '',
  ];
}

function environmentsSection(): string[] {
  return [
    'environments:',
    '  preview: { ephemeral: true, ttl: 72h }',
    '  staging:',
    '    strategy: { blueGreen: { scaleDownDelay: 30s } }',
    '  production:',
    '    after: staging              # the same artifact must have succeeded in staging',
    '    protected: true',
    '    strategy:',
    '      canary:',
    '        steps:',
    '          - setWeight: 20',
    '          - pause: { duration: 30s }',
    '          - setWeight: 50',
    '          - pause: { duration: 30s }',
    '        # Watches the canary through every step: failing rolls back at once; too little',
    '        # traffic to judge pauses the release (`flowline release promote|abort`).',
    '        analysis: { templates: [{ templateName: error-rate }] }',
    '',
    'analysis:',
    '  templates:',
    '    error-rate:',
    '      metrics:',
    '        - name: errors',
    '          interval: 10s',
    '          successCondition: result < 0.01   # under 1% of the canary’s requests fail',
    '          failureLimit: 2                   # the third failed measurement rolls back',
    '          # Each measurement waits (up to `sampleTimeout`, 1m) until the canary served',
    '          # `minSamples` requests in the window since it took traffic; fewer is inconclusive.',
    '          provider: { router: { signal: errorRate, window: 1m, minSamples: 20 } }',
    '',
  ];
}

/** A YAML scalar for a string: plain when that reads back the same, else double-quoted. */
function scalar(value: string): string {
  try {
    if (parseYaml(value) === value && !/[#{}[\],]/.test(value)) return value;
  } catch {
    // Not valid as a plain scalar: quote it.
  }
  return JSON.stringify(value);
}

/** `@acme/Web_Shop` → `web-shop`: a lowercase DNS label, as `service` requires. */
export function sanitizeName(raw: string): string {
  const base = raw.replace(/^@[^/]*\//, '').toLowerCase();
  const name = base
    .replace(/[^a-z0-9-]+/g, '-')
    .replace(/^[^a-z]+/, '')
    .slice(0, 63)
    .replace(/-+$/, '');
  return name === '' ? 'app' : name;
}

async function trunkOf(dir: string): Promise<string> {
  const head = await readFile(path.join(dir, '.git', 'HEAD'), 'utf8').catch(() => '');
  const branch = /^ref: refs\/heads\/(\S+)/.exec(head)?.[1];
  return branch === 'master' || branch === 'trunk' || branch === 'develop' ? branch : 'main';
}

async function exists(file: string): Promise<boolean> {
  return stat(file).then(
    () => true,
    () => false,
  );
}
