import pc from 'picocolors';
import { startApi } from '../../app/api.js';
import { createFlowline } from '../../app/flowline.js';
import { FlowlineError } from '../../core/errors.js';
import type { CommandContext } from '../context.js';

/** Parses a --port value; 0 means "any free port". */
export function parsePort(text: string): number {
  const port = Number(text);
  if (!Number.isInteger(port) || port < 0 || port > 65_535) {
    throw new FlowlineError('FLOWLINE_USAGE', `--port \`${text}\` is not a port number (0-65535).`, {
      hint: 'e.g. --port 7420',
    });
  }
  return port;
}

/** Resolves when the process is asked to stop (Ctrl-C or a service manager's SIGTERM). */
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
  const port = parsePort(String(ctx.options.port));
  const flowline = await createFlowline(ctx.settings);
  try {
    const api = await startApi(flowline, { port, host: String(ctx.options.host), logger: true });
    const err = ctx.streams.stderr;
    err.write(
      `${pc.green('●')} Flowline ${flowline.version} API on ${pc.bold(api.url)}  (store ${flowline.store.file})\n`,
    );
    err.write(`  OpenAPI: ${api.url}/v1/openapi.json   health: ${api.url}/v1/health\n`);
    if ((await flowline.tokens.list()).length === 0) {
      err.write(
        `  ${pc.yellow('No API tokens yet.')} Create one: flowline token create admin --role admin --home ${ctx.settings.home}\n`,
      );
    }
    const signal = await untilSignal();
    err.write(`${signal}: draining requests and stopping…\n`);
    await api.close();
  } finally {
    await flowline.close();
  }
  return undefined;
}
