import { existsSync } from 'node:fs';
import path from 'node:path';
import pc from 'picocolors';
import { startDaemon } from '../../app/daemon.js';
import { FlowlineError } from '../../core/errors.js';
import { requireDuration } from '../../core/time.js';
import type { CommandContext } from '../context.js';
import { openLocal } from '../local.js';
import { printable } from '../output.js';

/** Parses a --port value; 0 means "any free port". */
export function parsePort(text: string, option = '--port'): number {
  const port = Number(text);
  if (!Number.isInteger(port) || port < 0 || port > 65_535) {
    throw new FlowlineError('FLOWLINE_USAGE', `${option} \`${text}\` is not a port number (0-65535).`, {
      hint: `e.g. ${option} 7420`,
    });
  }
  return port;
}

/**
 * Resolves when the process is asked to stop (Ctrl-C or a service manager's SIGTERM). Call it
 * before printing that the process is ready: until a listener exists, SIGTERM kills outright.
 */
export function untilSignal(): Promise<NodeJS.Signals> {
  return new Promise((resolve) => {
    const stop = (signal: NodeJS.Signals) => {
      process.off('SIGINT', stop);
      process.off('SIGTERM', stop);
      resolve(signal);
    };
    process.on('SIGINT', stop);
    process.on('SIGTERM', stop);
  });
}

export default async function serve(ctx: CommandContext): Promise<number | undefined> {
  if (ctx.settings.serverUrl !== undefined) {
    throw new FlowlineError(
      'FLOWLINE_USAGE',
      '`flowline serve` runs a server; it cannot talk to another one.',
      {
        hint: 'Unset FLOWLINE_URL / drop --server to serve the local store.',
      },
    );
  }
  const apiPort = parsePort(String(ctx.options.port));
  const routerPort = parsePort(String(ctx.options.routerPort), '--router-port');
  const reapText = ctx.options.reapInterval as string | undefined;
  const reapIntervalMs =
    reapText === undefined
      ? undefined
      : requireDuration(reapText, { name: '--reap-interval', min: '10ms', code: 'FLOWLINE_USAGE' });
  const err = ctx.streams.stderr;
  const flowline = await openLocal(ctx.settings, { notices: ctx.streams.stderr });
  try {
    const daemon = await startDaemon(flowline, {
      apiPort,
      routerPort,
      host: String(ctx.options.host),
      logger: true,
      log: (line) => err.write(`  ${printable(line, { tabs: true })}\n`),
      ...(reapIntervalMs === undefined ? {} : { reapIntervalMs }),
    });
    // Listen before saying we are up: whoever reads that line may signal us at once.
    const stopRequested = untilSignal();
    err.write(
      `${pc.green('●')} Flowline ${flowline.version}: API on ${pc.bold(daemon.apiUrl)}, router on ${pc.bold(daemon.routerUrl)}\n` +
        `  store ${flowline.store.file}   OpenAPI ${daemon.apiUrl}/v1/openapi.json\n` +
        `  Dashboard: ${pc.bold(`${daemon.apiUrl}/`)}   sign in with an API token: flowline token create <name> --role read, and paste it\n`,
    );
    if (!existsSync(path.join(flowline.dashboardDir, 'index.html'))) {
      err.write(
        `  ${pc.yellow('The dashboard is not built')} (${flowline.dashboardDir}): run npm run build\n`,
      );
    }
    if ((await flowline.tokens.list()).length === 0) {
      err.write(
        `  ${pc.yellow('No API tokens yet.')} Local commands work without one; for others: flowline token create <name> --role read\n`,
      );
    }
    const signal = await stopRequested;
    const keep = ctx.options.keepInstances === true;
    err.write(
      keep
        ? `${signal}: stopping; the router and the instances go on serving for the next start to adopt\n`
        : `${signal}: draining requests, stopping the router and the instances, and stopping…\n`,
    );
    await daemon.stop({ keepInstances: keep });
  } finally {
    await flowline.close();
  }
  return undefined;
}
