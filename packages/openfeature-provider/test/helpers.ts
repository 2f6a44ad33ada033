import type { Logger } from '@openfeature/core';
import type { FlagSetDefinition } from '../src/engine.js';

/** Where a provider under test gets its flags: the contract-shaped fake or the real Flowline server. */
export interface FlagBackend {
  readonly url: string;
  readonly service: string;
  readonly environment: string;
  /** A client token that may read `environment`. */
  readonly token: string;
  /** A valid token that may not read `environment`. */
  readonly otherEnvironmentToken: string;
  /** Stores a new version of the flag set (also while stopped), as an operator would. */
  setFlags(definition: FlagSetDefinition): Promise<void>;
  /** Stops the HTTP server as a crash or restart would, open streams included. */
  stop(): Promise<void>;
  /** Starts it again on the same port, with what was stored kept. */
  restart(): Promise<void>;
  close(): Promise<void>;
}

/** A checkout service's flags in every shape a provider must handle. */
export function checkoutFlags(overrides: { newCheckout?: boolean } = {}): FlagSetDefinition {
  return {
    segments: { staff: { include: ['alice'] } },
    flags: {
      'new-checkout': {
        type: 'boolean',
        variants: { on: true, off: false },
        defaultVariant: 'off',
        enabled: true,
        metadata: { owner: 'payments' },
        rules: [{ name: 'staff first', when: { segment: 'staff' }, serve: { variant: 'on' } }],
        fallthrough: { variant: overrides.newCheckout === true ? 'on' : 'off' },
      },
      'button-colour': {
        type: 'string',
        variants: { blue: 'blue', green: 'green' },
        defaultVariant: 'blue',
        enabled: true,
        rules: [
          { when: { attribute: 'plan', op: 'in', values: ['pro', 'team'] }, serve: { variant: 'green' } },
        ],
      },
      'max-items': { type: 'number', variants: { few: 5, many: 50 }, defaultVariant: 'many', enabled: true },
      'search-ranking': {
        type: 'json',
        variants: { classic: { model: 'bm25', boost: 1 }, neural: { model: 'dense', boost: 2 } },
        defaultVariant: 'classic',
        enabled: true,
        fallthrough: {
          rollout: {
            split: [
              { variant: 'classic', weight: 50 },
              { variant: 'neural', weight: 50 },
            ],
          },
        },
      },
    },
  };
}

/** A logger that keeps what it is told, so tests stay quiet and can assert on warnings. */
export function recordingLogger(): Logger & { readonly lines: string[] } {
  const lines: string[] = [];
  const keep =
    (level: string) =>
    (...args: unknown[]) => {
      lines.push(`${level} ${args.map(String).join(' ')}`);
    };
  return { lines, error: keep('error'), warn: keep('warn'), info: keep('info'), debug: keep('debug') };
}

/** Options that make reconnection and staleness fast enough for tests. */
export function fastOptions(backend: FlagBackend, logger: Logger) {
  return {
    url: backend.url,
    token: backend.token,
    service: backend.service,
    environment: backend.environment,
    backoff: { initialDelayMs: 20, maxDelayMs: 200 },
    staleAfterMs: 150,
    initTimeoutMs: 1_500,
    logger,
  };
}

/** Waits until `check` returns a value other than undefined/false, or fails after `timeoutMs`. */
export async function until<T>(
  check: () => T | undefined | false,
  what: string,
  timeoutMs = 5_000,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = check();
    if (value !== undefined && value !== false) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

/** Collects the events an OpenFeature client or provider emitter sees, by type. */
export function recordEvents<E extends string>(
  target: { addHandler(type: E, handler: (details?: unknown) => void): void },
  types: readonly E[],
): { readonly seen: { type: E; details: Record<string, unknown> }[]; count(type: E): number } {
  const seen: { type: E; details: Record<string, unknown> }[] = [];
  for (const type of types) {
    target.addHandler(type, (details) =>
      seen.push({ type, details: (details ?? {}) as Record<string, unknown> }),
    );
  }
  return { seen, count: (type) => seen.filter((event) => event.type === type).length };
}

/** A fetch that records what the provider asks for, so tests can check headers such as Last-Event-ID. */
export function recordingFetch(): { fetch: typeof fetch; readonly streamRequests: Headers[] } {
  const streamRequests: Headers[] = [];
  return {
    streamRequests,
    fetch: (input, init) => {
      if (String(input).endsWith('/stream')) streamRequests.push(new Headers(init?.headers));
      return fetch(input, init);
    },
  };
}
