import http from 'node:http';
import net from 'node:net';

/** The outcome of one health check, with a line a human can read (`GET /healthz → 503`). */
export interface ProbeResult {
  readonly ok: boolean;
  readonly detail: string;
}

/** Where instances listen, as the health check and the router reach them. */
export const INSTANCE_HOST = '127.0.0.1';

/**
 * One health check of an instance on `port`: `GET path` passes on a 2xx or 3xx status (as in
 * Kubernetes); without a path, an accepted TCP connection passes. No answer within `timeoutMs`
 * fails.
 */
export function probe(port: number, check: { readonly path?: string | undefined; readonly timeout: number }) {
  return check.path === undefined
    ? probeTcp(port, check.timeout)
    : probeHttp(port, check.path, check.timeout);
}

function probeHttp(port: number, path: string, timeoutMs: number): Promise<ProbeResult> {
  const what = `GET ${path}`;
  return new Promise((resolve) => {
    const req = http.get(
      {
        host: INSTANCE_HOST,
        port,
        path,
        agent: false,
        headers: { connection: 'close', 'user-agent': 'flowline' },
      },
      (res) => {
        res.resume();
        const status = res.statusCode ?? 0;
        finish({ ok: status >= 200 && status < 400, detail: `${what} → ${status}` });
      },
    );
    const timer = setTimeout(() => {
      finish({ ok: false, detail: `${what} → no answer within ${timeoutMs}ms` });
      req.destroy();
    }, timeoutMs);
    req.on('error', (error) => finish({ ok: false, detail: `${what} → ${describeNetError(error)}` }));
    let done = false;
    function finish(result: ProbeResult) {
      if (done) return;
      done = true;
      clearTimeout(timer);
      resolve(result);
    }
  });
}

function probeTcp(port: number, timeoutMs: number): Promise<ProbeResult> {
  const what = `TCP connect to port ${port}`;
  return new Promise((resolve) => {
    const socket = net.connect({ host: INSTANCE_HOST, port });
    const timer = setTimeout(
      () => finish({ ok: false, detail: `${what} → no answer within ${timeoutMs}ms` }),
      timeoutMs,
    );
    socket.once('connect', () => finish({ ok: true, detail: `${what} → accepted` }));
    socket.once('error', (error) => finish({ ok: false, detail: `${what} → ${describeNetError(error)}` }));
    let done = false;
    function finish(result: ProbeResult) {
      if (done) return;
      done = true;
      clearTimeout(timer);
      socket.destroy();
      resolve(result);
    }
  });
}

function describeNetError(error: Error): string {
  const code = (error as NodeJS.ErrnoException).code;
  if (code === 'ECONNREFUSED') return 'connection refused';
  if (code === 'ECONNRESET') return 'connection reset';
  return error.message;
}
