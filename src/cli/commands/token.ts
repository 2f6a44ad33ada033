import pc from 'picocolors';
import type { Role, TokenInfo } from '../../auth/types.js';
import { FlowlineError } from '../../core/errors.js';
import { DNS_LABEL_HINT, isDnsLabel } from '../../core/names.js';
import { compact } from '../../core/objects.js';
import { parseWhen } from '../../core/time.js';
import type { CommandContext } from '../context.js';
import { age, printable, renderTable, writeJson } from '../output.js';

interface CreateOptions {
  role: Role;
  env?: string[];
  expires?: string;
}

export async function create(ctx: CommandContext, name: string): Promise<number | undefined> {
  const opts = ctx.options as unknown as CreateOptions;
  // Refused here too (the server checks again), so a typo is named before anything is sent.
  const bad = opts.env?.find((env) => !isDnsLabel(env));
  if (bad !== undefined) {
    throw new FlowlineError('FLOWLINE_USAGE', `--env ${JSON.stringify(bad)} is not an environment name.`, {
      hint: `Name environments as flowline.yaml does: ${DNS_LABEL_HINT}.`,
    });
  }
  const backend = await ctx.backend();
  const expiresAt =
    opts.expires === undefined ? undefined : parseWhen(opts.expires, new Date(), 'future', '--expires');
  const { token, secret } = await backend.createToken({
    name,
    role: opts.role,
    ...compact({ environments: opts.env, expiresAt }),
  });
  if (ctx.json) {
    writeJson(ctx.streams, { token, secret });
    return undefined;
  }
  const scope = token.environments === null ? 'all environments' : token.environments.join(', ');
  const about = `${token.role}, ${scope}${token.expiresAt ? `, expires ${token.expiresAt}` : ''}`;
  ctx.streams.stdout.write(
    `Created token ${pc.bold(printable(token.name))} (${printable(about)}).\n` +
      `\n  ${printable(secret)}\n\n` +
      `${pc.yellow('Copy it now: it is shown once and stored only as a hash.')}\n` +
      `Use it with: export FLOWLINE_TOKEN=<the token above>\n`,
  );
  return undefined;
}

export async function list(ctx: CommandContext): Promise<number | undefined> {
  const backend = await ctx.backend();
  const tokens = await backend.listTokens({ includeRevoked: ctx.options.all === true });
  if (ctx.json) {
    writeJson(ctx.streams, { tokens });
    return undefined;
  }
  if (tokens.length === 0) {
    ctx.streams.stdout.write('No tokens. Create one with `flowline token create <name> --role read`.\n');
    return undefined;
  }
  ctx.streams.stdout.write(`${renderTable(tokens, TOKEN_COLUMNS)}\n`);
  return undefined;
}

export async function revoke(ctx: CommandContext, idOrName: string): Promise<number | undefined> {
  const backend = await ctx.backend();
  const token = await backend.revokeToken(idOrName);
  if (ctx.json) writeJson(ctx.streams, { token });
  else
    ctx.streams.stdout.write(`Revoked token ${pc.bold(printable(token.name))} (${printable(token.id)}).\n`);
  return undefined;
}

const TOKEN_COLUMNS = [
  { header: 'name', value: (t: TokenInfo) => t.name },
  { header: 'prefix', value: (t: TokenInfo) => `${t.prefix}…` },
  { header: 'role', value: (t: TokenInfo) => t.role },
  {
    header: 'environments',
    value: (t: TokenInfo) => (t.environments === null ? '*' : t.environments.join(',')),
  },
  { header: 'created', value: (t: TokenInfo) => `${age(t.createdAt)} by ${t.createdBy}` },
  { header: 'last used', value: (t: TokenInfo) => age(t.lastUsedAt) },
  {
    header: 'state',
    value: (t: TokenInfo) =>
      t.revokedAt !== null
        ? 'revoked'
        : t.expiresAt !== null && new Date(t.expiresAt) <= new Date()
          ? 'expired'
          : 'active',
  },
];
