import { execFileSync } from 'node:child_process';
import { cp, readFile, rm, writeFile } from 'node:fs/promises';
import http from 'node:http';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import pc from 'picocolors';
import { startDaemon } from '../../app/daemon.js';
import type { Flowline } from '../../app/flowline.js';
import { loadConfigSource } from '../../config/index.js';
import { FlowlineError } from '../../core/errors.js';
import { createProgress } from '../../pipeline/index.js';
import type { CommandContext } from '../context.js';
import { openLocal } from '../local.js';
import { parsePort, untilSignal } from './serve.js';

/** The example service shipped with Flowline, found relative to this file (src/ or dist/). */
const EXAMPLE = fileURLToPath(new URL('../../../examples/hello', import.meta.url));

/**
 * The README's main job, on the embedded default: copy the example service into a fresh git
 * repo, run its pipeline (build once, test in parallel), deploy the artifact blue-green to
 * staging, promote the same artifact to production as a canary with analysis while a little
 * traffic flows, print the URLs, and serve until Ctrl-C.
 */
export default async function demo(ctx: CommandContext): Promise<number | undefined> {
  const out = ctx.streams.stdout;
  const err = ctx.streams.stderr;
  const step = (n: number, text: string) => out.write(`\n${pc.cyan(`[${n}/7]`)} ${pc.bold(text)}\n`);
  const indent = (line: string) => out.write(`    ${line}\n`);

  step(1, 'preparing a git repo with the example service');
  const repo = path.join(ctx.settings.home, 'demo', 'hello');
  await rm(repo, { recursive: true, force: true });
  await cp(EXAMPLE, repo, { recursive: true, filter: (src) => !/node_modules|\.flowline/.test(src) });
  gitInit(repo);
  indent(`${repo} (commit ${git(repo, 'rev-parse', '--short', 'HEAD')})`);
  const configFile = path.join(repo, 'flowline.yaml');
  const { config, text } = await loadConfigSource(configFile, 'flowline.yaml');

  const flowline = await openLocal(ctx.settings, { notices: ctx.streams.stderr });
  let traffic: { stop(): Promise<{ sent: number; failed: number }> } | undefined;
  try {
    const daemon = await startDaemon(flowline, {
      apiPort: parsePort(String(ctx.options.port)),
      routerPort: parsePort(String(ctx.options.routerPort), '--router-port'),
      host: '127.0.0.1',
      log: indent,
    });
    try {
      const tty = (err as NodeJS.WriteStream).isTTY === true;
      const pipeline = async () => {
        const progress = createProgress({
          stream: err,
          mode: tty ? 'live' : 'plain',
          color: pc.isColorSupported,
          columns: 100,
        });
        const report = await flowline.pipeline
          .run({ config, configText: text, configPath: configFile, cwd: repo, observer: progress })
          .finally(() => progress.stop());
        if (report.status !== 'succeeded' || report.artifact === null) {
          throw new FlowlineError(
            'FLOWLINE_DEPLOY_FAILED',
            `The demo pipeline failed: see \`flowline logs ${report.runId}\`.`,
          );
        }
        indent(
          `artifact ${pc.bold(report.artifact.digest.slice(0, 19))} built once; every environment runs these bytes`,
        );
      };
      const deploy = async (environment: string) => {
        const outcome = await daemon.deployer.deploy({
          service: config.service,
          environment,
          principal: flowline.localPrincipal,
          where: flowline.where,
          onProgress: (line) => indent(pc.dim(line)),
        });
        indent(`${pc.green('✔')} ${environment} serves it at ${pc.bold(outcome.url)}`);
        return outcome;
      };

      step(2, 'flowline run: build once, test in parallel');
      await pipeline();
      // A little steady traffic so the release analysis has something to measure.
      traffic = startTraffic(daemon.routerPort, ['staging.hello.localhost', 'production.hello.localhost']);
      step(3, 'flowline deploy staging (blue-green, analysed after the switch)');
      await deploy('staging');
      step(4, 'flowline deploy production (the same artifact; the first release takes all traffic)');
      await deploy('production');

      step(5, 'a change: a friendlier greeting, committed and built once more');
      await writeFile(
        path.join(repo, 'src', 'app.js'),
        (await readFile(path.join(repo, 'src', 'app.js'), 'utf8')).replace(
          'Hello from Flowline',
          'Hello again, from Flowline',
        ),
      );
      git(repo, 'commit', '-q', '-am', 'Friendlier greeting');
      await pipeline();
      step(6, 'staging, then production as a canary: 10% → analysis → 50% → 100%');
      const staging = await deploy('staging');
      const production = await deploy('production');

      step(7, 'ready');
      const sent = await traffic.stop();
      traffic = undefined;
      indent(`${sent.sent} demo requests during the releases, ${sent.failed} failed`);
      const port = daemon.routerPort;
      const signIn = await dashboardToken(flowline);
      // Listen before saying we serve: whoever reads that line may signal us at once.
      const stopRequested = untilSignal();
      out.write(
        `\n  staging     ${staging.url}\n  production  ${production.url}\n` +
          `  Dashboard   ${daemon.apiUrl}/   sign in with this token (admin, valid 24 h):\n              ${signIn}\n` +
          `  (or: curl -H 'Host: production.hello.localhost' http://127.0.0.1:${port}/version)\n\n` +
          `  Try, in another terminal (from ${repo}):\n` +
          `    FLOWLINE_HOME=${ctx.settings.home} node ${cliPath()} deployments\n` +
          `    FLOWLINE_HOME=${ctx.settings.home} node ${cliPath()} rollback production\n` +
          `    FLOWLINE_HOME=${ctx.settings.home} node ${cliPath()} audit\n\n` +
          `${pc.green('serving')} until Ctrl-C\n`,
      );
      await stopRequested;
      out.write('stopping: draining requests and stopping the instances…\n');
    } finally {
      await traffic?.stop();
      traffic = undefined;
      await daemon.stop();
    }
  } finally {
    await traffic?.stop();
    await flowline.close();
  }
  return undefined;
}

function cliPath(): string {
  return fileURLToPath(new URL('../../../bin/flowline.js', import.meta.url));
}

function git(cwd: string, ...args: string[]): string {
  return execFileSync('git', args, {
    cwd,
    encoding: 'utf8',
    env: {
      ...process.env,
      GIT_AUTHOR_NAME: 'Flowline demo',
      GIT_AUTHOR_EMAIL: 'demo@flowline.invalid',
      GIT_COMMITTER_NAME: 'Flowline demo',
      GIT_COMMITTER_EMAIL: 'demo@flowline.invalid',
    },
  }).trim();
}

function gitInit(repo: string): void {
  git(repo, 'init', '-q', '-b', 'main');
  git(repo, 'add', '-A');
  git(repo, 'commit', '-q', '-m', 'The example service');
}

/** A few dozen requests a second to each host through the router, until stopped. */
function startTraffic(
  port: number,
  hosts: readonly string[],
): { stop(): Promise<{ sent: number; failed: number }> } {
  const agent = new http.Agent({ keepAlive: true, maxSockets: 4 });
  let sent = 0;
  let failed = 0;
  let stopped = false;
  const one = (host: string) =>
    new Promise<void>((resolve) => {
      const req = http.get(
        { port, host: '127.0.0.1', path: '/api/hello?name=demo', headers: { host }, agent },
        (res) => {
          // 404: the environment has no route yet; anything else but 2xx counts as failed.
          if (res.statusCode !== 404) {
            sent++;
            if ((res.statusCode ?? 500) >= 400) failed++;
          }
          res.resume();
          res.on('end', resolve);
        },
      );
      req.on('error', () => {
        failed++;
        resolve();
      });
    });
  const loop = (async () => {
    while (!stopped) {
      await Promise.all(hosts.map(one));
      await new Promise((resolve) => setTimeout(resolve, 10));
    }
  })();
  return {
    async stop() {
      stopped = true;
      await loop;
      agent.destroy();
      return { sent, failed };
    },
  };
}

/**
 * A token to sign in to the dashboard with. Admin, not read: the demo's store is the user's own
 * (whoever runs the demo can already do anything to it through the embedded CLI), and the
 * dashboard should let them try promote, rollback and a flag kill on the releases they just saw.
 * A rerun replaces the previous one; it expires in a day, so a forgotten demo holds no live key.
 */
async function dashboardToken(flowline: Flowline): Promise<string> {
  const name = 'demo-dashboard';
  if ((await flowline.tokens.list()).some((t) => t.name === name))
    await flowline.tokens.revoke(name, flowline.localActor);
  const expiresAt = new Date(flowline.clock.now().getTime() + 24 * 60 * 60 * 1000).toISOString();
  const { secret } = await flowline.tokens.create({ name, role: 'admin', expiresAt }, flowline.localActor);
  return secret;
}
