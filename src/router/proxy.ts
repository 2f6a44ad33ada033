/**
 * One proxied request (an "exchange"): picks the revision and instance, streams the request to
 * the instance's pool and the answer back, retries on another instance when one fails before
 * answering, and records the outcome in the revision's signals.
 *
 * Retry rule: only before any byte of the answer, only when the body can be sent again (none, or
 * buffered because it is at most `retryBufferBytes`), at most `maxAttempts` attempts. Connection
 * failures (refused, unreachable, pool closed) are retried for every method: the instance never
 * saw the request. A reset of an open connection is retried for idempotent methods only, since
 * the instance may have acted on it. A headers timeout is never retried: it answers 504.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { performance } from 'node:perf_hooks';
import type { Dispatcher } from 'undici';
import { chooseBackend, chooseInstance, chooseRetry } from './choose.js';
import { clientHeaders, REVISION_HEADER, upstreamHeaders } from './headers.js';
import { ABORTED, classOfStatus, ERROR, RETRIED } from './signals.js';
import type { Backend, Route } from './table.js';
import type { RouterLogger } from './types.js';
import type { Instance, Upstreams } from './upstreams.js';

const CONNECT_FAILURES = new Set([
  'ECONNREFUSED',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'EADDRNOTAVAIL',
  'ENOTFOUND',
  'UND_ERR_CONNECT_TIMEOUT',
  'UND_ERR_CLOSED',
  'UND_ERR_DESTROYED',
]);
const RESETS = new Set(['ECONNRESET', 'EPIPE', 'UND_ERR_SOCKET']);
const IDEMPOTENT = new Set(['GET', 'HEAD', 'OPTIONS', 'PUT', 'DELETE', 'TRACE']);
const STICKY_MAX_AGE_S = 86_400;

/** What an exchange needs from the router. */
export interface ProxyContext {
  readonly upstreams: Upstreams;
  /** The route for a host in the table as it is now (retries follow the newest table). */
  route(host: string): Route | undefined;
  readonly random: () => number;
  readonly stickyCookie: string;
  readonly maxAttempts: number;
  readonly retryBufferBytes: number;
  readonly logger: RouterLogger | undefined;
  /** True once the router is closing: answers ask clients to close their connections. */
  readonly closing: boolean;
}

/** Proxies a request for a host that has a route. */
export function proxy(
  ctx: ProxyContext,
  req: IncomingMessage,
  res: ServerResponse,
  host: string,
  route: Route,
) {
  new Exchange(ctx, req, res, host).start(route);
}

class Exchange implements Dispatcher.DispatchHandler {
  private readonly startedAt = performance.now();
  private backend: Backend | undefined;
  private instance: Instance | undefined;
  private body: Buffer | IncomingMessage | null = null;
  private replayable = true;
  private headers: Record<string, string | string[]> = {};
  private path: string;
  private attempts = 0;
  private tried: Set<Instance> | undefined;
  private controller: Dispatcher.DispatchController | undefined;
  private status = 0;
  private newPoint: number | undefined;
  /** The answer's head went to the client. */
  private responded = false;
  /** Outcome recorded; nothing more to do. */
  private done = false;
  private gone = false;
  /** Between dispatch to an instance and that attempt's end. */
  private attemptOpen = false;

  constructor(
    private readonly ctx: ProxyContext,
    private readonly req: IncomingMessage,
    private readonly res: ServerResponse,
    private readonly host: string,
  ) {
    const url = req.url ?? '/';
    this.path = url.startsWith('/') ? url : absolutePath(url);
    res.once('close', this.onClientClose);
  }

  start(route: Route): void {
    const { req } = this;
    const length = req.headers['content-length'];
    const chunked = req.headers['transfer-encoding'] !== undefined;
    if (!chunked && (length === undefined || length === '0')) {
      this.route(route);
      return;
    }
    if (!chunked && Number(length) <= this.ctx.retryBufferBytes) {
      const chunks: Buffer[] = [];
      req.on('data', (chunk: Buffer) => chunks.push(chunk));
      req.once('end', () => {
        if (this.gone) return;
        this.body = Buffer.concat(chunks);
        // Buffering took time: route by the table as it is now.
        const current = this.ctx.route(this.host);
        if (current !== undefined) {
          this.route(current);
          return;
        }
        this.done = true;
        this.reply(404, 'The route was removed while the request arrived.\n');
      });
      return;
    }
    this.body = req;
    this.replayable = false;
    this.route(route);
  }

  private route(route: Route): void {
    const choice = chooseBackend(route, this.req.headers, this.ctx.random, this.ctx.stickyCookie);
    const instance = choice === undefined ? undefined : chooseInstance(choice.backend);
    if (choice === undefined || instance === undefined) {
      this.done = true;
      this.reply(503, `No instance of ${route.spec.service} (${route.spec.environment}) is running.\n`, {
        'retry-after': '1',
      });
      return;
    }
    this.newPoint = choice.newPoint;
    this.headers = upstreamHeaders(this.req);
    this.dispatch(choice.backend, instance);
  }

  private dispatch(backend: Backend, instance: Instance): void {
    this.backend = backend;
    this.instance = instance;
    this.attempts++;
    this.controller = undefined;
    this.attemptOpen = true;
    this.ctx.upstreams.begin(instance);
    const options = {
      path: this.path,
      method: this.req.method ?? 'GET',
      headers: this.headers,
      body: this.body,
    };
    instance.pool.dispatch(options as Dispatcher.DispatchOptions, this);
  }

  onRequestStart(controller: Dispatcher.DispatchController): void {
    this.controller = controller;
    if (this.gone) controller.abort(new Error('client closed the connection'));
  }

  onResponseStart(
    controller: Dispatcher.DispatchController,
    statusCode: number,
    headers: Record<string, string | string[] | undefined>,
  ): void {
    if (statusCode < 200 || this.gone) return; // 1xx: informational, not forwarded
    this.status = statusCode;
    const cookie =
      this.newPoint === undefined
        ? undefined
        : `${this.ctx.stickyCookie}=${this.newPoint}; Path=/; Max-Age=${STICKY_MAX_AGE_S}; HttpOnly; SameSite=Lax`;
    try {
      this.res.writeHead(statusCode, clientHeaders(headers, this.revision(), cookie, this.ctx.closing));
      this.responded = true;
      // Head, body chunks and end that arrive in this tick leave in one write (a small answer is
      // usually whole in one read from the instance), not three.
      this.res.cork();
      process.nextTick(uncork, this.res);
    } catch (error) {
      controller.abort(error instanceof Error ? error : new Error(String(error)));
    }
  }

  onResponseData(controller: Dispatcher.DispatchController, chunk: Buffer): void {
    if (this.gone) return;
    if (!this.res.write(chunk)) {
      controller.pause();
      this.res.once('drain', this.onDrain);
    }
  }

  onResponseEnd(): void {
    this.res.end();
    this.finish(classOfStatus(this.status));
  }

  onResponseError(_controller: Dispatcher.DispatchController | undefined, error: Error): void {
    const backend = this.backend as Backend;
    this.release();
    if (this.clientGone()) {
      this.finish(ABORTED);
      return;
    }
    if (this.responded) {
      // Cut mid-answer: the client sees a truncated response, which is an error of the revision.
      this.res.destroy(error);
      this.finish(ERROR);
      return;
    }
    const code = (error as { code?: string }).code ?? '';
    if (this.retryable(code)) {
      const route = this.ctx.route(this.host);
      this.tried ??= new Set();
      if (this.instance !== undefined) this.tried.add(this.instance);
      const next = route === undefined ? undefined : chooseRetry(route, backend.revision, this.tried);
      if (next !== undefined) {
        backend.signals.count(RETRIED);
        this.ctx.logger?.warn(
          {
            host: this.host,
            revision: backend.revision,
            instance: this.instance?.id,
            code,
            attempt: this.attempts,
          },
          'instance failed before answering; retrying on another',
        );
        this.dispatch(next.backend, next.instance);
        return;
      }
    }
    this.ctx.logger?.warn(
      {
        host: this.host,
        revision: backend.revision,
        instance: this.instance?.id,
        code,
        attempts: this.attempts,
      },
      'instance failed before answering',
    );
    const timeout = code === 'UND_ERR_HEADERS_TIMEOUT';
    this.reply(
      timeout ? 504 : 502,
      timeout
        ? `Revision ${backend.revision} did not answer in time.\n`
        : `Revision ${backend.revision} could not be reached (${code || error.message}).\n`,
      { [REVISION_HEADER]: backend.revision },
    );
    this.finish(ERROR);
  }

  private retryable(code: string): boolean {
    if (!this.replayable || this.attempts >= this.ctx.maxAttempts) return false;
    if (CONNECT_FAILURES.has(code)) return true;
    return RESETS.has(code) && IDEMPOTENT.has(this.req.method ?? 'GET');
  }

  private revision(): string {
    return this.backend?.revision ?? '';
  }

  private readonly onDrain = () => this.controller?.resume();

  private readonly onClientClose = () => {
    if (this.done || this.res.writableFinished) return;
    this.gone = true;
    // Not yet started on the socket: onRequestStart aborts it.
    if (this.attemptOpen) this.controller?.abort(new Error('client closed the connection'));
    else this.done = true; // still receiving the body, or answered by the router itself
  };

  private clientGone(): boolean {
    return this.gone || this.res.destroyed || this.req.socket.destroyed;
  }

  /** Ends the attempt on the current instance (once per attempt). */
  private release(): void {
    if (!this.attemptOpen || this.instance === undefined) return;
    this.attemptOpen = false;
    this.ctx.upstreams.end(this.instance);
  }

  private finish(outcome: number): void {
    if (this.done) return;
    this.done = true;
    this.release();
    const signals = this.backend?.signals;
    if (signals === undefined) return;
    if (outcome === ABORTED) signals.count(ABORTED);
    else signals.record(outcome, (performance.now() - this.startedAt) * 1000);
  }

  private reply(status: number, text: string, extra: Record<string, string> = {}): void {
    const { res } = this;
    if (res.headersSent || res.destroyed) {
      res.destroy();
      return;
    }
    res.writeHead(status, {
      'content-type': 'text/plain; charset=utf-8',
      'content-length': Buffer.byteLength(text),
      ...extra,
      ...(this.ctx.closing ? { connection: 'close' } : {}),
    });
    res.end(text);
  }
}

function uncork(res: ServerResponse): void {
  res.uncork();
}

function absolutePath(url: string): string {
  try {
    const u = new URL(url);
    return `${u.pathname}${u.search}`;
  } catch {
    return '/';
  }
}
