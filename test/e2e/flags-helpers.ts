import http from 'node:http';
import { startApi } from '../../src/app/api.js';
import { createFlowline, type Flowline } from '../../src/app/flowline.js';
import { loadSettings } from '../../src/core/settings.js';
import type { Listening } from '../../src/server/index.js';
import { tempDir } from './helpers.js';

/** One server-sent event as a client sees it. */
export interface SseEvent {
  readonly event: string;
  readonly id: string | undefined;
  readonly data: string;
}

/** A raw SSE client: collects events and comments, hands them out in order. */
export interface SseStream {
  readonly status: number;
  readonly contentType: string | undefined;
  next(timeoutMs?: number): Promise<SseEvent>;
  /** Events received and not yet taken with `next`. */
  readonly queued: number;
  readonly comments: string[];
  close(): void;
}

export function openStream(
  url: string,
  token: string,
  headers: Record<string, string> = {},
): Promise<SseStream> {
  return new Promise((resolve, reject) => {
    const request = http.get(
      url,
      { headers: { authorization: `Bearer ${token}`, ...headers } },
      (response) => {
        const queue: SseEvent[] = [];
        const waiters: ((event: SseEvent) => void)[] = [];
        const comments: string[] = [];
        let buffered = '';
        response.setEncoding('utf8');
        response.on('data', (chunk: string) => {
          buffered += chunk;
          let end = buffered.indexOf('\n\n');
          while (end >= 0) {
            const block = buffered.slice(0, end);
            buffered = buffered.slice(end + 2);
            end = buffered.indexOf('\n\n');
            const fields: Record<string, string> = {};
            for (const line of block.split('\n')) {
              if (line.startsWith(':')) comments.push(line.slice(1).trim());
              else {
                const colon = line.indexOf(':');
                fields[line.slice(0, colon)] = line.slice(colon + 1).replace(/^ /, '');
              }
            }
            if (fields.data === undefined) continue;
            const event = { event: fields.event ?? 'message', id: fields.id, data: fields.data };
            const waiter = waiters.shift();
            if (waiter) waiter(event);
            else queue.push(event);
          }
        });
        resolve({
          status: response.statusCode ?? 0,
          contentType: response.headers['content-type'],
          comments,
          get queued() {
            return queue.length;
          },
          next(timeoutMs = 5000) {
            const ready = queue.shift();
            if (ready) return Promise.resolve(ready);
            return new Promise((done, fail) => {
              const timer = setTimeout(() => fail(new Error(`no event within ${timeoutMs} ms`)), timeoutMs);
              waiters.push((event) => {
                clearTimeout(timer);
                done(event);
              });
            });
          },
          close: () => request.destroy(),
        });
      },
    );
    request.on('error', reject);
  });
}

/** A wired Flowline with its API on a free loopback port, and tokens of every role. */
export async function startFlagServer() {
  const dir = await tempDir('flowline-flags-');
  const flowline: Flowline = await createFlowline(loadSettings({ FLOWLINE_HOME: dir.path }, dir.path));
  const api: Listening = await startApi(flowline, { port: 0, host: '127.0.0.1' });
  const token = async (name: string, role: 'client' | 'read' | 'deploy' | 'admin', environments?: string[]) =>
    (
      await flowline.tokens.create(
        { name, role, ...(environments === undefined ? {} : { environments }) },
        flowline.localActor,
      )
    ).secret;
  const tokens = {
    admin: await token('root', 'admin'),
    deployer: await token('deployer', 'deploy', ['staging', 'production']),
    reader: await token('reader', 'read'),
    client: await token('web', 'client', ['production']),
  };

  async function call(
    method: string,
    route: string,
    options: { token?: string; body?: unknown; headers?: Record<string, string> } = {},
  ) {
    const headers: Record<string, string> = { ...options.headers };
    if (options.token !== undefined) headers.authorization = `Bearer ${options.token}`;
    if (options.body !== undefined) headers['content-type'] = 'application/json';
    const res = await fetch(api.url + route, {
      method,
      headers,
      ...(options.body === undefined
        ? {}
        : { body: typeof options.body === 'string' ? options.body : JSON.stringify(options.body) }),
    });
    const text = await res.text();
    // biome-ignore lint/suspicious/noExplicitAny: test responses are inspected field by field
    const body: any = text === '' ? undefined : JSON.parse(text);
    return { status: res.status, body, headers: res.headers, text };
  }

  return {
    dir,
    flowline,
    api,
    tokens,
    call,
    async stop() {
      await api.close();
      await flowline.close();
      await dir.dispose();
    },
  };
}

/** A small valid flag set: a boolean flag with a staff segment and a 25% split, and a string flag. */
export function sampleFlags() {
  return {
    segments: { staff: { include: ['alice'] } },
    flags: {
      'new-checkout': {
        type: 'boolean',
        variants: { on: true, off: false },
        defaultVariant: 'off',
        enabled: true,
        rules: [{ name: 'staff', when: { segment: 'staff' }, serve: { variant: 'on' } }],
        fallthrough: {
          rollout: {
            split: [
              { variant: 'on', weight: 25 },
              { variant: 'off', weight: 75 },
            ],
          },
        },
      },
      banner: {
        type: 'string',
        variants: { plain: 'Hello', fancy: 'Hello ✨' },
        defaultVariant: 'plain',
        enabled: true,
        fallthrough: { variant: 'fancy' },
      },
    },
  };
}
