import path from 'node:path';
import { EXIT_CODES, exitCodeOf, FlowlineError } from '../core/errors.js';
import { loadSettings, type Settings } from '../core/settings.js';
import type { Backend } from './backend/types.js';
import { printable, type Streams, writeError } from './output.js';

/** Options every command accepts (declared on the root program). */
export interface GlobalOptions {
  readonly server?: string;
  readonly token?: string;
  readonly home?: string;
  readonly json?: boolean;
}

/** What a command implementation receives. */
export interface CommandContext {
  readonly settings: Settings;
  readonly streams: Streams;
  readonly json: boolean;
  readonly options: Readonly<Record<string, unknown>>;
  /** The server given by --server/FLOWLINE_URL, or the local store. Opened on first use. */
  backend(): Promise<Backend>;
  /** Runs a command body: maps FlowlineErrors to output and an exit code, closes the backend. */
  guard(body: () => Promise<number | undefined>): Promise<number>;
}

/** What the command does with the store, from its registration (define.ts). */
export interface CommandUse {
  /** It only reads: embedded, a missing store is FLOWLINE_STORE_NOT_FOUND rather than a new one. */
  readonly readsOnly?: boolean;
}

export function createContext(
  options: GlobalOptions & Record<string, unknown>,
  streams: Streams = { stdout: process.stdout, stderr: process.stderr },
  env: Readonly<Record<string, string | undefined>> = process.env,
  use: CommandUse = {},
): CommandContext {
  const base = loadSettings(env);
  const settings: Settings = {
    ...base,
    home: options.home === undefined ? base.home : path.resolve(base.cwd, options.home),
    serverUrl: options.server ?? base.serverUrl,
    token: options.token ?? base.token,
  };
  const json = options.json === true;
  let opened: Promise<Backend> | undefined;

  const backend = (): Promise<Backend> => {
    opened ??=
      settings.serverUrl === undefined
        ? import('./backend/embedded.js').then((m) =>
            m.openEmbeddedBackend(settings, { create: use.readsOnly !== true, notices: streams.stderr }),
          )
        : import('./backend/remote.js').then((m) =>
            m.openRemoteBackend(settings.serverUrl ?? '', settings.token),
          );
    return opened;
  };

  return {
    settings,
    streams,
    json,
    options,
    backend,
    async guard(body) {
      try {
        return (await body()) ?? EXIT_CODES.ok;
      } catch (error) {
        if (error instanceof FlowlineError) {
          writeError(streams, error, json);
          return exitCodeOf(error.code);
        }
        // A bug: show the stack so it can be reported, but keep the exit code documented.
        const internal = new FlowlineError('FLOWLINE_INTERNAL', `Unexpected error: ${String(error)}`, {
          hint: 'Please report this with the output above.',
        });
        if (!json && error instanceof Error && error.stack)
          streams.stderr.write(`${printable(error.stack, { tabs: true, newlines: true })}\n`);
        writeError(streams, internal, json);
        return EXIT_CODES.internal;
      } finally {
        if (opened !== undefined) await (await opened.catch(() => undefined))?.close();
      }
    },
  };
}
