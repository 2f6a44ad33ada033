import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { CLI, cleanEnv, readDb, runCli, startCli, tempDir, until } from './helpers.js';

// `flowline run` on a real git repository with a tiny flowline.yaml, through the built CLI.
// No timing thresholds: order and overlap are shown with marker files, not with durations.

let dir: Awaited<ReturnType<typeof tempDir>>;
let repo: string;
let env: Record<string, string>;
let mounted: string | undefined;
const isRoot = process.getuid?.() === 0;

beforeEach(async () => {
  dir = await tempDir('flowline-pipeline-');
  repo = path.join(dir.path, 'repo');
  env = { FLOWLINE_HOME: path.join(dir.path, 'state') };
});
afterEach(async () => {
  if (mounted !== undefined) execFileSync('umount', [mounted]);
  mounted = undefined;
  execFileSync('chmod', ['-R', 'u+w', dir.path]); // artifacts are read-only
  await dir.dispose();
});

const BUILD = `build:
  command: mkdir -p out && cp src/app.sh out/
  inputs: ["src/**"]
  output: out
`;

async function repoWith(yaml: string, files: Record<string, string> = {}): Promise<void> {
  await mkdir(path.join(repo, 'src'), { recursive: true });
  await writeFile(path.join(repo, 'flowline.yaml'), `version: 1\nservice: shop\n${yaml}`);
  await writeFile(path.join(repo, 'src', 'app.sh'), 'echo hello\n');
  await writeFile(path.join(repo, '.gitignore'), 'out\n');
  for (const [name, content] of Object.entries(files)) await writeFile(path.join(repo, name), content);
  const git = (...args: string[]) => execFileSync('git', args, { cwd: repo, stdio: 'ignore' });
  git('init', '-q', '-b', 'main');
  git('add', '-A');
  git('-c', 'user.name=Dev', '-c', 'user.email=dev@example.com', 'commit', '-qm', 'add the pipeline');
}

const flowline = (args: string[], extra: Record<string, string> = {}) =>
  runCli(args, { cwd: repo, env: { ...env, ...extra } });

interface Report {
  runId: string;
  status: string;
  artifact: { digest: string; cached: boolean } | null;
  stages: {
    name: string;
    status: string;
    startedAt: string;
    finishedAt: string;
    exitCode: number | null;
    reason: string | null;
  }[];
  error?: { code: string; message: string };
}

async function runJson(args: string[] = [], extra: Record<string, string> = {}) {
  const res = await flowline(['run', '--json', ...args], extra);
  return { ...res, report: JSON.parse(res.stdout) as Report };
}

function exitOf(child: ChildProcess): Promise<number | null> {
  return new Promise((resolve) => {
    if (child.exitCode !== null) resolve(child.exitCode);
    else child.once('exit', resolve);
  });
}

const stage = (report: Report, name: string) => report.stages.find((s) => s.name === name);

describe('flowline run', () => {
  it('answers --help on run, runs, logs and andon', async () => {
    for (const command of [
      ['run'],
      ['runs'],
      ['logs'],
      ['andon'],
      ['andon', 'status'],
      ['andon', 'pull'],
      ['andon', 'release'],
    ]) {
      const res = await runCli([...command, '--help']);
      expect({ command, code: res.code }).toEqual({ command, code: 0 });
      expect(res.stdout).toContain(`Usage: flowline ${command.join(' ')}`);
    }
  });

  it('builds once, tests, records the run, and reuses the artifact when nothing changed', async () => {
    await repoWith(`${BUILD}stages:\n  unit:\n    steps:\n      - run: echo "testing $FLOWLINE_ARTIFACT"\n`);
    const first = await flowline(['run']);
    expect(first.code).toBe(0);
    expect(first.stdout).toMatch(/✔ run run_\w+ passed/);
    expect(first.stderr).toContain('[unit] testing sha256:');

    const second = await runJson();
    expect(second.code).toBe(0);
    expect(stage(second.report, 'build')?.status).toBe('cached');
    expect(second.report.artifact?.cached).toBe(true);

    const runs = JSON.parse((await flowline(['runs', '--json'])).stdout) as {
      runs: { id: string; commitMessage: string; artifactId: string }[];
    };
    expect(runs.runs.map((r) => r.commitMessage)).toEqual(['add the pipeline', 'add the pipeline']);
    expect(new Set(runs.runs.map((r) => r.artifactId)).size).toBe(1);
    const logs = await flowline(['logs', second.report.runId, 'unit']);
    expect(logs.stdout).toContain(`testing ${second.report.artifact?.digest}`);
  });

  it('runs independent stages at the same time: their recorded runs overlap', async () => {
    const handshake = (me: string, other: string) =>
      `touch ${me}.up; i=0; while [ ! -f ${other}.up ] && [ $i -lt 1000 ]; do sleep 0.02; i=$((i+1)); done; test -f ${other}.up`;
    await repoWith(
      `stages:\n  a:\n    steps: [{ run: '${handshake('a', 'b')}' }]\n  b:\n    steps: [{ run: '${handshake('b', 'a')}' }]\n`,
    );
    const { code, report } = await runJson();
    expect(code).toBe(0);
    const [a, b] = [stage(report, 'a'), stage(report, 'b')];
    expect(a && b && a.startedAt < b.finishedAt && b.startedAt < a.finishedAt).toBe(true);
  });

  it('fails with exit 1, skips the dependents, prints the failure, and turns the trunk red until it passes or is released', async () => {
    await repoWith(
      `stages:\n  unit:\n    steps: [{ run: 'echo boom; exit 3' }]\n  e2e:\n    needs: [unit]\n    steps: [{ run: 'true' }]\nfinally:\n  - run: touch finally-ran\n`,
    );
    const res = await flowline(['run']);
    expect(res.code).toBe(1);
    expect(res.stdout).toContain('step `echo boom; exit 3` in stage unit exited with code 3');
    expect(res.stdout).toContain('needs `unit`, which failed');
    expect(existsSync(path.join(repo, 'finally-ran'))).toBe(true);

    const status = JSON.parse((await flowline(['andon', 'status', '--json'])).stdout) as {
      andon: { state: string; reason: string }[];
    };
    expect(status.andon).toEqual([
      expect.objectContaining({ service: 'shop', state: 'red', reason: 'unit failed' }),
    ]);
    const release = await flowline(['andon', 'release', '--reason', 'flaky runner, verified by hand']);
    expect(release.code).toBe(0);
    expect(release.stdout).toContain('green again');
    const audit = JSON.parse((await flowline(['audit', '--action', 'andon', '--json'])).stdout) as {
      events: { action: string; details: { reason: string } }[];
    };
    expect(audit.events.map((e) => e.action)).toEqual(['andon.release', 'andon.red']);
    expect(audit.events[0]?.details.reason).toBe('flaky runner, verified by hand');
    expect((await flowline(['andon', 'pull', '--reason', 'stop'])).code).toBe(0);
    expect((await flowline(['andon', 'status'])).stdout).toMatch(/shop\s+red/);
  });

  it('runs only the stages asked for and what they need', async () => {
    await repoWith(
      `${BUILD}stages:\n  unit:\n    steps: [{ run: 'true' }]\n  lint:\n    needs: []\n    steps: [{ run: 'true' }]\n`,
    );
    const { report } = await runJson(['--stages', 'lint']);
    expect(report.stages.map((s) => s.name)).toEqual(['lint']);
    expect((await flowline(['run', '--stages', 'nope'])).stderr).toContain('`nope`');
  });

  it('masks declared secrets in what it shows and in the stored logs', async () => {
    await repoWith(
      `stages:\n  unit:\n    steps: [{ run: 'echo "token=$DEPLOY_TOKEN"; echo "leak=$AWS_SECRET_ACCESS_KEY"' }]\nsecrets: [DEPLOY_TOKEN]\n`,
    );
    const secrets = { DEPLOY_TOKEN: 'tok-3f9a8b7c', AWS_SECRET_ACCESS_KEY: 'undeclared-value' };
    const { report, stderr } = await runJson([], secrets);
    expect(stderr).toContain('token=***');
    expect(stderr).toContain('leak=\n'); // undeclared variables never reach a step
    const logs = await flowline(['logs', report.runId], secrets);
    expect(logs.stdout).toContain('token=***');
    expect(`${stderr}${logs.stdout}`).not.toContain('tok-3f9a8b7c');
  });

  it('reports CI runs in plain output and records the provider and run id', async () => {
    await repoWith(`stages:\n  unit:\n    steps: [{ run: echo in-ci }]\n`);
    const ci = { CI: 'true', GITHUB_ACTIONS: 'true', GITHUB_RUN_ID: '4242', GITHUB_ACTOR: 'octocat' };
    const res = await flowline(['run'], ci);
    expect(res.code).toBe(0);
    expect(res.stderr).toContain('[unit] in-ci');
    expect(res.stderr).not.toContain('\x1b[');
    const runs = JSON.parse((await flowline(['runs', '--json'])).stdout) as { runs: { where: unknown }[] };
    expect(runs.runs[0]?.where).toMatchObject({ ci: { provider: 'github-actions', runId: '4242' } });
    const audit = JSON.parse((await flowline(['audit', '--action', 'run.', '--json'])).stdout) as {
      events: { actor: { name: string } }[];
    };
    expect(audit.events[0]?.actor.name).toBe('github-actions:octocat');
  });

  it('prints the summary after the stage log when stdout and stderr are one pipe', async () => {
    // About 200 KB of log, more than a pipe holds: while nobody reads, stderr's writes queue.
    const loud = `node -e "for (let i = 0; i < 3000; i++) console.log('line ' + i + ' ' + 'x'.repeat(60))"`;
    await repoWith(`stages:\n  loud:\n    steps: [{ run: ${JSON.stringify(loud)} }]\n`);
    const child = spawn('sh', ['-c', 'exec "$0" "$1" run 2>&1', process.execPath, CLI], {
      cwd: repo,
      env: cleanEnv(env),
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    let output = '';
    child.stdout.on('data', (chunk: Buffer) => {
      output += chunk.toString();
    });
    child.stdout.pause();
    // Read nothing until the run is recorded as finished: the summary comes with the pipe still full.
    await until(
      'the run finishes',
      async () => (existsSync(path.join(env.FLOWLINE_HOME ?? '', 'flowline.db')) ? runsSoFar(env) : []),
      (runs) => ['succeeded', 'failed'].includes(runs[0]?.status ?? ''),
    );
    child.stdout.resume();
    expect(await exitOf(child)).toBe(0);
    const lines = output.trimEnd().split('\n');
    expect(lines.filter((l) => l.startsWith('[loud] line '))).toHaveLength(3000);
    const summary = lines.findIndex((l) => /^✔ run \S+ passed/.test(l));
    expect(summary).toBe(lines.length - 1);
    expect(lines.findLastIndex((l) => l.startsWith('[loud]'))).toBeLessThan(summary);
  });
});

describe('flowline run on bad input', () => {
  it('reports a cycle in needs and a missing stage with file:line:col, exit 2', async () => {
    await repoWith(
      `stages:\n  a:\n    needs: [b]\n    steps: [{ run: 'true' }]\n  b:\n    needs: [a]\n    steps: [{ run: 'true' }]\n  c:\n    needs: [ghost]\n    steps: [{ run: 'true' }]\n`,
    );
    const res = await flowline(['run']);
    expect(res.code).toBe(2);
    expect(res.stderr).toMatch(/flowline\.yaml:\d+:\d+ .*cycle/);
    expect(res.stderr).toMatch(/flowline\.yaml:\d+:\d+ .*`ghost`, which is not defined/);
  });

  it('fails the build when an input glob matches nothing', async () => {
    await repoWith(
      `build:\n  command: mkdir -p out\n  inputs: ["src/**", "nothing/**/*.ts"]\n  output: out\nstages:\n  unit:\n    steps: [{ run: 'true' }]\n`,
    );
    const { code, report } = await runJson();
    expect(code).toBe(1);
    expect(report.error?.code).toBe('FLOWLINE_BUILD_INPUT_EMPTY');
    expect(stage(report, 'build')?.reason).toContain('nothing/**/*.ts');
    expect(stage(report, 'unit')?.status).toBe('skipped');
  });

  it('kills a hanging step at its timeout and a step killed by a signal is named so', async () => {
    await repoWith(
      `pipeline:\n  cancelOnFailure: false\nstages:\n  hang:\n    steps: [{ run: 'sleep 60', timeout: 300ms }]\n  sig:\n    steps: [{ run: 'kill -9 $$' }]\n`,
    );
    const { code, report } = await runJson();
    expect(code).toBe(1);
    expect(stage(report, 'hang')?.reason).toBe('step `sleep 60` in stage hang timed out after 300ms');
    expect(stage(report, 'sig')).toMatchObject({
      status: 'failed',
      reason: 'step `kill -9 $$` in stage sig was killed by SIGKILL',
    });
  });

  // Mounting a small disk needs root (CI runs as root): a non-root run skips it and says so.
  it.skipIf(!isRoot)(
    'fails cleanly when the disk fills up while storing the artifact, recording no artifact (real 2 MB tmpfs; needs root)',
    async () => {
      await repoWith(
        `build:\n  command: mkdir -p out && head -c 5000000 /dev/zero > out/big.bin\n  inputs: ["src/**"]\n  output: out\nstages:\n  unit:\n    steps: [{ run: 'true' }]\n`,
      );
      mounted = path.join(env.FLOWLINE_HOME ?? '', 'artifacts');
      await mkdir(mounted, { recursive: true });
      execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=2m', 'tmpfs', mounted]);
      const { code, report } = await runJson();
      expect(code).toBe(1);
      expect(report.error?.code).toBe('FLOWLINE_ARTIFACT_DISK_FULL');
      expect(stage(report, 'build')?.reason).toMatch(/full/);
      expect(report.artifact).toBeNull();
      expect(JSON.parse((await flowline(['artifacts', '--json'])).stdout)).toEqual({ artifacts: [] });
    },
  );

  it('lets a second run wait for the first (or refuse with --no-wait), and runs finally after Ctrl-C', async () => {
    await repoWith(
      `stages:\n  wait:\n    steps: [{ run: 'echo waiting-for-go; while [ ! -f go ]; do sleep 0.05; done' }]\nfinally:\n  - run: touch finally-ran\n`,
    );
    const first = await startCli(['run'], /waiting-for-go/, { cwd: repo, env });
    const refused = await flowline(['run', '--no-wait']);
    expect(refused.code).toBe(4);
    expect(refused.stderr).toContain('FLOWLINE_RUN_LOCKED');
    expect(refused.stderr).toMatch(/run run_\w+ \(pid \d+/);

    const second = await startCli(['run'], /waiting for run run_\w+ \(pid \d+/, { cwd: repo, env });
    await writeFile(path.join(repo, 'go'), '');
    expect(await exitOf(first.child)).toBe(0);
    expect(await exitOf(second.child)).toBe(0);

    // Ctrl-C: the running stage is cancelled, finally still runs, the run is recorded as cancelled.
    execFileSync('rm', [path.join(repo, 'go'), path.join(repo, 'finally-ran')]);
    const child = spawn(process.execPath, [CLI, 'run'], {
      cwd: repo,
      env: cleanEnv(env),
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let output = '';
    const exited = new Promise<number | null>((resolve) => child.on('exit', resolve));
    child.stderr.on('data', (d: Buffer) => {
      output += d.toString();
      if (output.includes('waiting-for-go') && !child.killed) child.kill('SIGINT');
    });
    child.stdout.on('data', (d: Buffer) => {
      output += d.toString();
    });
    expect(await exited).toBe(1);
    expect(output).toContain('was cancelled');
    expect(existsSync(path.join(repo, 'finally-ran'))).toBe(true);
    const runs = JSON.parse((await flowline(['runs', '--json'])).stdout) as { runs: { status: string }[] };
    expect(runs.runs[0]?.status).toBe('cancelled');
    expect(await readFile(path.join(env.FLOWLINE_HOME ?? '', 'locks', 'run.lock')).catch(() => 'gone')).toBe(
      'gone',
    );
  });
});

/** The runs recorded so far; none while the file exists but its tables do not yet (being created). */
function runsSoFar(env: Record<string, string>): { status: string }[] {
  try {
    return readDb(env, (db) => db.prepare('SELECT status FROM runs').all() as { status: string }[]);
  } catch {
    return [];
  }
}
