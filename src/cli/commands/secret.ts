import pc from 'picocolors';
import { FlowlineError } from '../../core/errors.js';
import { MAX_VALUE_BYTES } from '../../secrets/index.js';
import type { CommandContext } from '../context.js';
import { age, renderTable, writeJson } from '../output.js';
import { serviceOf } from './deploy.js';

/**
 * `flowline secret set|list|rm`: secret values per service and environment. A value is read from
 * stdin (piped, or typed at a hidden prompt), never from the command line, where `ps` and shell
 * history would show it; nothing here prints one.
 */

/** `flowline secret set NAME --env E [--service S]`, the value on stdin. */
export async function set(ctx: CommandContext, name: string): Promise<number | undefined> {
  const { service, environment } = await target(ctx);
  const value = process.stdin.isTTY
    ? await promptHidden(ctx, `Value of ${name} for ${service}/${environment} (input hidden): `)
    : await readPiped();
  const secret = await (await ctx.backend()).secrets.set(service, environment, name, value);
  if (ctx.json) writeJson(ctx.streams, { secret });
  else
    ctx.streams.stdout.write(
      `${pc.green('✔')} secret ${pc.bold(secret.name)} set for ${service}/${environment} (version ${secret.version})\n`,
    );
  return undefined;
}

/** `flowline secret list --env E [--service S] [--json]`: names, versions, who and when; never values. */
export async function list(ctx: CommandContext): Promise<number | undefined> {
  const { service, environment } = await target(ctx);
  const secrets = await (await ctx.backend()).secrets.list(service, environment);
  if (ctx.json) writeJson(ctx.streams, { secrets });
  else if (secrets.length === 0) ctx.streams.stdout.write(`No secrets set for ${service}/${environment}.\n`);
  else
    ctx.streams.stdout.write(
      `${renderTable(secrets, [
        { header: 'name', value: (s) => s.name },
        { header: 'version', value: (s) => String(s.version) },
        { header: 'updated', value: (s) => age(s.updatedAt) },
        { header: 'by', value: (s) => s.updatedBy },
      ])}\n`,
    );
  return undefined;
}

/** `flowline secret rm NAME --env E [--service S]`. */
export async function remove(ctx: CommandContext, name: string): Promise<number | undefined> {
  const { service, environment } = await target(ctx);
  const secret = await (await ctx.backend()).secrets.remove(service, environment, name);
  if (ctx.json) writeJson(ctx.streams, { secret });
  else ctx.streams.stdout.write(`Removed secret ${pc.bold(secret.name)} from ${service}/${environment}.\n`);
  return undefined;
}

async function target(ctx: CommandContext): Promise<{ service: string; environment: string }> {
  return { service: await serviceOf(ctx), environment: String(ctx.options.env) };
}

/**
 * The whole of a piped stdin as UTF-8 text, without one trailing newline (the one `echo` adds);
 * refused when empty, over 64 KiB or not UTF-8.
 */
async function readPiped(): Promise<string> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of process.stdin as AsyncIterable<Buffer>) {
    size += chunk.length;
    // Two bytes of slack for a trailing CRLF; the server checks the exact limit.
    if (size > MAX_VALUE_BYTES + 2) {
      throw new FlowlineError(
        'FLOWLINE_USAGE',
        `The value on stdin is over ${MAX_VALUE_BYTES} bytes (64 KiB).`,
        {
          hint: 'Store a larger secret elsewhere (a file or a vault) and give its location as the secret.',
        },
      );
    }
    chunks.push(chunk);
  }
  let text: string;
  try {
    text = new TextDecoder('utf-8', { fatal: true }).decode(Buffer.concat(chunks));
  } catch {
    throw new FlowlineError('FLOWLINE_USAGE', 'The value on stdin is not UTF-8 text.', {
      hint: 'Secrets become environment variables: give text (base64-encode binary values).',
    });
  }
  const value = text.replace(/\r?\n$/, '');
  if (value === '') {
    throw new FlowlineError(
      'FLOWLINE_USAGE',
      'No value on stdin: the secret value is read from stdin, never from arguments.',
      {
        hint: 'Pipe it in, e.g. `printf %s "$VALUE" | flowline secret set NAME --env E`, or run it in a terminal to type it.',
      },
    );
  }
  return value;
}

/** Reads one line from the terminal without echoing it (raw mode: the terminal shows nothing). */
function promptHidden(ctx: CommandContext, question: string): Promise<string> {
  const input = process.stdin;
  // Raw mode (no echo) first: a prompt shown before it would invite typing that the terminal echoes.
  input.setRawMode(true);
  input.setEncoding('utf8');
  input.resume();
  ctx.streams.stderr.write(question);
  return new Promise((resolve, reject) => {
    let value = '';
    const finish = (error?: FlowlineError) => {
      input.off('data', onData);
      input.setRawMode(false);
      input.pause();
      ctx.streams.stderr.write('\n');
      if (error === undefined) resolve(value);
      else reject(error);
    };
    const onData = (chunk: string) => {
      for (const char of chunk) {
        if (char === '\r' || char === '\n' || char === '\u0004') return finish();
        if (char === '\u0003')
          return finish(new FlowlineError('FLOWLINE_USAGE', 'Cancelled: nothing was set.'));
        if (char === '\u007f' || char === '\b') value = [...value].slice(0, -1).join('');
        else if (char >= ' ') value += char;
      }
    };
    input.on('data', onData);
  });
}
