import { faultFromEnv, updateFault } from './fault.js';
import { workDelayMs, workFromEnv } from './work.js';

/**
 * The HTTP behaviour of the hello service, apart from listening and signals (server.js).
 * Health and admin routes ignore the error rate and latency faults, so the fault switch can be
 * turned off again and the health check only fails when asked to.
 */

const MAX_BODY = 16 * 1024;

/**
 * @param {{ info: Record<string, string | null>, env: Record<string, string | undefined> }} options
 */
export function createApp({ info, env }) {
  const initial = faultFromEnv(env);
  if (initial.error) throw new Error(`invalid FAULT_* setting: ${initial.error}`);
  const work = workFromEnv(env);
  if (work.error !== undefined) throw new Error(work.error);
  const workMs = work.workMs ?? 0;
  const noWork = slowdownWithoutWork(initial.fault, workMs);
  if (noWork) throw new Error(`invalid FAULT_* setting: ${noWork}`);
  const state = { fault: initial.fault, draining: false };
  const adminToken = env.ADMIN_TOKEN || undefined;

  /** @type {import('node:http').RequestListener} */
  async function handle(req, res) {
    const url = new URL(req.url ?? '/', 'http://localhost');
    try {
      if (url.pathname === '/healthz') return health(req, res);
      if (url.pathname === '/admin/fault') return await admin(req, res);
      if (state.fault.latencyMs > 0) await sleep(state.fault.latencyMs);
      const workDelay = workDelayMs(workMs, state.fault.slowdown);
      if (workDelay > 0) await sleep(workDelay);
      if (Math.random() < state.fault.errorRate) {
        return send(res, 500, { error: 'injected fault (errorRate)', instance: info.instance });
      }
      if (url.pathname === '/' && isRead(req)) return greeting(res);
      if (url.pathname === '/version' && isRead(req)) return send(res, 200, info);
      if (url.pathname === '/api/hello' && isRead(req)) {
        const name = (url.searchParams.get('name') ?? 'world').slice(0, 100);
        return send(res, 200, {
          message: `Hello, ${name}!`,
          revision: info.revision,
          instance: info.instance,
        });
      }
      return send(res, 404, { error: `no route for ${req.method} ${url.pathname}` });
    } catch (error) {
      return send(res, 500, { error: error instanceof Error ? error.message : String(error) });
    }
  }

  /** @param {import('node:http').IncomingMessage} req @param {import('node:http').ServerResponse} res */
  function health(req, res) {
    if (!isRead(req)) return send(res, 405, { error: 'use GET' });
    if (state.draining) return send(res, 503, { status: 'draining' });
    if (state.fault.unhealthy) return send(res, 503, { status: 'unhealthy' });
    return send(res, 200, { status: 'ok' });
  }

  /** @param {import('node:http').IncomingMessage} req @param {import('node:http').ServerResponse} res */
  async function admin(req, res) {
    if (adminToken !== undefined && req.headers.authorization !== `Bearer ${adminToken}`) {
      return send(res, 401, { error: 'send Authorization: Bearer <ADMIN_TOKEN>' });
    }
    if (isRead(req)) return send(res, 200, state.fault);
    if (req.method !== 'POST') return send(res, 405, { error: 'use GET or POST' });
    let body;
    try {
      body = JSON.parse(await readBody(req));
    } catch (error) {
      return send(res, 400, { error: `body is not JSON: ${error instanceof Error ? error.message : error}` });
    }
    const result = updateFault(state.fault, body);
    if (result.error) return send(res, 400, { error: result.error });
    const noWork = slowdownWithoutWork(result.fault, workMs);
    if (noWork) return send(res, 400, { error: noWork });
    state.fault = result.fault;
    return send(res, 200, state.fault);
  }

  /** @param {import('node:http').ServerResponse} res */
  function greeting(res) {
    const text = escapeHtml(
      `${info.service} ${info.version} (revision ${info.revision}) on ${info.instance}`,
    );
    const html = `<!doctype html>\n<title>hello</title>\n<h1>Hello from Flowline</h1>\n<p>${text}</p>\n`;
    reply(res, 200, 'text/html; charset=utf-8', html);
  }

  /** @param {import('node:http').ServerResponse} res @param {number} status @param {unknown} body */
  function send(res, status, body) {
    reply(res, status, 'application/json', `${JSON.stringify(body)}\n`);
  }

  /**
   * While draining, every answer asks the client to close its connection, so keep-alive
   * connections do not hold the process open after the last in-flight request.
   * @param {import('node:http').ServerResponse} res @param {number} status
   * @param {string} type @param {string} body
   */
  function reply(res, status, type, body) {
    const headers = { 'content-type': type, ...(state.draining ? { connection: 'close' } : {}) };
    res.writeHead(status, headers);
    res.end(body);
  }

  return {
    handle,
    /** Health answers 503 from now on; responses ask clients to close their connections. */
    startDraining() {
      state.draining = true;
    },
  };
}

/**
 * A slowdown scales the simulated work; without any it would silently do nothing.
 * @param {import('./fault.js').Fault} fault @param {number} workMs
 */
function slowdownWithoutWork(fault, workMs) {
  return fault.slowdown > 0 && workMs === 0
    ? 'slowdown scales the simulated work: set WORK_MS too (e.g. WORK_MS=20)'
    : undefined;
}

/** @param {import('node:http').IncomingMessage} req */
function isRead(req) {
  return req.method === 'GET' || req.method === 'HEAD';
}

/** @param {import('node:http').IncomingMessage} req @returns {Promise<string>} */
async function readBody(req) {
  let body = '';
  for await (const chunk of req) {
    body += chunk;
    if (body.length > MAX_BODY) throw new Error('body too large');
  }
  return body;
}

/** @param {number} ms */
function sleep(ms) {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** @param {string} text */
function escapeHtml(text) {
  return text.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}
