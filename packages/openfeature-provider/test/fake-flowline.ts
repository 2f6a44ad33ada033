import { createHash } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { Socket } from 'node:net';
import type { FlagSetDefinition } from '../src/engine.js';

/**
 * A stand-in for Flowline's flag delivery endpoints, shaped exactly like the contract the real
 * server implements (`GET /v1/flags/{service}/{environment}` with ETag, `…/stream` as server-sent
 * events honouring Last-Event-ID, `POST …/evaluations` taking evaluation counts, Bearer tokens scoped
 * to environments). It runs a real HTTP server
 * on a real port so the providers' fetch and stream code is exercised end to end, and it can be
 * stopped and restarted on the same port with its flag sets kept, as a restarted Flowline would.
 * The real server is tested in real-server.test.ts once its routes exist.
 */
export interface FakeFlowlineOptions {
  /** token → environments it may read (`null`: all). */
  readonly tokens: Readonly<Record<string, readonly string[] | null>>;
  /** Interval of `: keep-alive` comments; Flowline sends one every 15 s. */
  readonly keepAliveMs?: number;
}

interface Entry {
  version: number;
  etag: string;
  definition: FlagSetDefinition;
}

interface Subscriber {
  readonly key: string;
  readonly response: ServerResponse;
}

/** One request as the fake saw it, for assertions on headers such as Last-Event-ID. */
export interface SeenRequest {
  readonly path: string;
  readonly headers: IncomingMessage['headers'];
}

export class FakeFlowline {
  readonly requests: SeenRequest[] = [];
  /** Evaluation counts received: `service/environment` → flag → variant → count. */
  readonly counts = new Map<string, Record<string, Record<string, number>>>();
  readonly #options: FakeFlowlineOptions;
  readonly #sets = new Map<string, Entry>();
  readonly #subscribers = new Set<Subscriber>();
  readonly #sockets = new Set<Socket>();
  #server: Server | undefined;
  #port = 0;
  readonly #muted = new WeakSet<ServerResponse>();

  constructor(options: FakeFlowlineOptions) {
    this.#options = options;
  }

  /** The base URL while listening. */
  get url(): string {
    return `http://127.0.0.1:${this.#port}`;
  }

  /** Open event streams. */
  get streams(): number {
    return this.#subscribers.size;
  }

  /** Sends nothing more on the streams open now, not even keep-alives: half-open connections. */
  muteOpenStreams(): void {
    for (const subscriber of this.#subscribers) this.#muted.add(subscriber.response);
  }

  /** Stores a new version of a flag set and pushes it to the open streams; returns the version. */
  setFlags(service: string, environment: string, definition: FlagSetDefinition): number {
    const key = `${service}/${environment}`;
    const version = (this.#sets.get(key)?.version ?? 0) + 1;
    const body = JSON.stringify(definition);
    const etag = `"${createHash('sha256').update(body).digest('base64url').slice(0, 22)}"`;
    const entry = { version, etag, definition };
    this.#sets.set(key, entry);
    for (const subscriber of this.#subscribers) {
      if (subscriber.key === key && !this.#muted.has(subscriber.response))
        this.#send(subscriber.response, key, entry);
    }
    return version;
  }

  /** Listens on `port` (0: any free port; the chosen port is reused by later calls). */
  async listen(port = this.#port): Promise<void> {
    const server = createServer((request, response) => this.#handle(request, response));
    server.on('connection', (socket) => {
      this.#sockets.add(socket);
      socket.on('close', () => this.#sockets.delete(socket));
    });
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(port, '127.0.0.1', () => resolve());
    });
    const address = server.address();
    this.#port = typeof address === 'object' && address !== null ? address.port : port;
    this.#server = server;
  }

  /** Stops like a crashed server: every connection is cut, open streams included. */
  async close(): Promise<void> {
    const server = this.#server;
    this.#server = undefined;
    this.#subscribers.clear();
    for (const socket of this.#sockets) socket.destroy();
    if (server !== undefined) await new Promise<void>((resolve) => server.close(() => resolve()));
  }

  #handle(request: IncomingMessage, response: ServerResponse): void {
    const url = new URL(request.url ?? '/', 'http://fake');
    this.requests.push({ path: url.pathname, headers: request.headers });
    const match = /^\/v1\/flags\/([^/]+)\/([^/]+)(\/stream|\/evaluations)?$/.exec(url.pathname);
    const method = match?.[3] === '/evaluations' ? 'POST' : 'GET';
    if (request.method !== method || match === null) {
      fail(response, 404, 'FLOWLINE_NOT_FOUND', 'no route');
      return;
    }
    const service = decodeURIComponent(match[1] as string);
    const environment = decodeURIComponent(match[2] as string);
    const token = /^Bearer (.+)$/.exec(request.headers.authorization ?? '')?.[1];
    const scope = token === undefined ? undefined : this.#options.tokens[token];
    if (scope === undefined) {
      fail(response, 401, 'FLOWLINE_AUTH_INVALID', 'The token is not valid.');
      return;
    }
    if (scope !== null && !scope.includes(environment)) {
      fail(response, 403, 'FLOWLINE_FORBIDDEN', `This token may not read ${environment}.`);
      return;
    }
    const key = `${service}/${environment}`;
    if (method === 'POST') {
      this.#count(request, response, key);
      return;
    }
    const entry = this.#sets.get(key) ?? { version: 0, etag: '"empty"', definition: { flags: {} } };
    if (match[3] === undefined) {
      if (request.headers['if-none-match'] === entry.etag) {
        response.writeHead(304, { etag: entry.etag }).end();
        return;
      }
      response.writeHead(200, { 'content-type': 'application/json', etag: entry.etag });
      response.end(JSON.stringify(payload(key, entry)));
      return;
    }
    response.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-store' });
    const subscriber = { key, response };
    this.#subscribers.add(subscriber);
    const keepAlive = setInterval(() => {
      if (!this.#muted.has(response)) response.write(': keep-alive\n\n');
    }, this.#options.keepAliveMs ?? 15_000);
    response.on('close', () => {
      clearInterval(keepAlive);
      this.#subscribers.delete(subscriber);
    });
    // Honours Last-Event-ID: a client that has the current version gets no replay.
    if (request.headers['last-event-id'] !== String(entry.version)) {
      this.#send(response, key, entry);
    } else {
      response.write(': connected\n\n');
    }
  }

  /** Adds `{ evaluations: [{ flag, variant, count }] }` to `counts`, unchecked: the real server validates. */
  #count(request: IncomingMessage, response: ServerResponse, key: string): void {
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => chunks.push(chunk));
    request.on('end', () => {
      const body = JSON.parse(Buffer.concat(chunks).toString('utf8')) as {
        evaluations: { flag: string; variant: string; count: number }[];
      };
      const flags = this.counts.get(key) ?? {};
      for (const { flag, variant, count } of body.evaluations) {
        const variants = flags[flag] ?? {};
        variants[variant] = (variants[variant] ?? 0) + count;
        flags[flag] = variants;
      }
      this.counts.set(key, flags);
      response.writeHead(202, { 'content-type': 'application/json' }).end('{}');
    });
  }

  #send(response: ServerResponse, key: string, entry: Entry): void {
    // Pretty-printed so the data spans several `data:` lines, as a real stream may.
    const lines = JSON.stringify(payload(key, entry), null, 1).split('\n');
    response.write(
      `event: flags\nid: ${entry.version}\n${lines.map((line) => `data: ${line}`).join('\n')}\n\n`,
    );
  }
}

function payload(key: string, entry: Entry) {
  const [service, environment] = key.split('/');
  return { service, environment, version: entry.version, etag: entry.etag, definition: entry.definition };
}

function fail(response: ServerResponse, status: number, code: string, message: string): void {
  response.writeHead(status, { 'content-type': 'application/json' });
  response.end(JSON.stringify({ error: { code, message } }));
}
