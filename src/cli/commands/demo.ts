import path from 'node:path';
import { fileURLToPath } from 'node:url';
import pc from 'picocolors';
import { startApi } from '../../app/api.js';
import { createFlowline } from '../../app/flowline.js';
import { formatIssues, loadConfig } from '../../config/index.js';
import { EXIT_CODES } from '../../core/errors.js';
import type { CommandContext } from '../context.js';
import { parsePort, untilSignal } from './serve.js';

/** The example service shipped with Flowline (examples/hello), found relative to this file. */
const EXAMPLE = fileURLToPath(new URL('../../../examples/hello/flowline.yaml', import.meta.url));

/**
 * The README's main job. Until deploys exist it shows what the foundation does end to end:
 * validate the example's flowline.yaml, register the service and its environments, mint a
 * token, serve the API and prove the token works against it over HTTP.
 */
export default async function demo(ctx: CommandContext): Promise<number | undefined> {
  const out = ctx.streams.stdout;
  const step = (n: number, text: string) => out.write(`${pc.cyan(`[${n}/4]`)} ${text}\n`);

  step(1, `validating ${path.relative(ctx.settings.cwd, EXAMPLE)}`);
  const result = await loadConfig(EXAMPLE, path.relative(ctx.settings.cwd, EXAMPLE));
  if (!result.ok) {
    ctx.streams.stderr.write(`${formatIssues(result.errors, { color: pc.isColorSupported })}\n`);
    return EXIT_CODES.input;
  }
  const config = result.config;
  out.write(`      service ${pc.bold(config.service)}: ${Object.keys(config.stages).join(', ')} stages; `);
  out.write(`environments ${Object.keys(config.environments).join(', ')}\n`);

  const flowline = await createFlowline(ctx.settings);
  try {
    step(2, `registering ${config.service} in the store ${flowline.store.file}`);
    await flowline.catalog.ensureService(config.service, EXAMPLE);
    for (const [name, env] of Object.entries(config.environments)) {
      if (!env.ephemeral) await flowline.catalog.ensureEnvironment(config.service, name, 'persistent');
    }

    step(3, 'minting a read-only API token (shown once, stored hashed)');
    const { secret, token } = await flowline.tokens.create(
      { name: `demo-${Date.now().toString(36)}`, role: 'read' },
      flowline.localActor,
    );

    const api = await startApi(flowline, { port: parsePort(String(ctx.options.port)), host: '127.0.0.1' });
    step(4, `API listening on ${pc.bold(api.url)}`);
    const res = await fetch(`${api.url}/v1/environments?service=${config.service}`, {
      headers: { authorization: `Bearer ${secret}` },
    });
    const body = (await res.json()) as { environments?: { name: string }[] };
    out.write(
      `      GET /v1/environments with token ${token.name} → HTTP ${res.status}: ` +
        `${(body.environments ?? []).map((e) => e.name).join(', ')}\n`,
    );
    const anon = await fetch(`${api.url}/v1/environments`);
    out.write(
      `      the same request without a token → HTTP ${anon.status} (every route but health needs one)\n\n`,
    );
    out.write(`Try it:\n  export FLOWLINE_URL=${api.url} FLOWLINE_TOKEN=${secret}\n`);
    out.write(
      '  node bin/flowline.js env list\n  node bin/flowline.js audit\n  node bin/flowline.js audit verify\n',
    );
    out.write(`  curl ${api.url}/v1/openapi.json\n\n${pc.green('ready')} — serving until Ctrl-C\n`);
    await untilSignal();
    await api.close();
  } finally {
    await flowline.close();
  }
  return undefined;
}
