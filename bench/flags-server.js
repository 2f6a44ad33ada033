// The flag server on loopback (compiled code from dist/, its own process):
// 1. Evaluation endpoints under autocannon (keep-alive, 50 connections): `POST …/evaluate` on the
//    three flags of the in-process bench (on/off, 10% rollout, three rules and a segment), the
//    bulk endpoint, and `GET` of the set with a matching If-None-Match (304); baseline: the public
//    `GET /v1/health` of the same server (no token, no body), measured in the same run: 3 rounds
//    of 5 s per case with the cases taking turns, each ratio against its own round's health rate;
//    medians of the rounds. Beside the rates, the server's own CPU time per request (from /proc),
//    which the load generator sharing the cores does not blur.
// 2. Stream propagation: 1,000 raw SSE subscribers in this process; a flag is changed over the API
//    and the time from sending the change to each subscriber reading the new version is taken.
//
// Usage: node bench/run.js flags-server   (child mode: node bench/flags-server.js --serve <home>)
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { FLOWLINE } from './lib/flags-peers.js';
import { runLoad } from './lib/load.js';
import { spawnReady } from './lib/process.js';

const SELF = fileURLToPath(import.meta.url);
const SET = '/v1/flags/bench/production';

if (process.argv[2] === '--serve') await serve(process.argv[3] ?? '');
if (process.argv[2] === '--bare') await serveBare();

/**
 * Child mode for the reference row: bare Fastify (the version Flowline uses) answering the same
 * POST with a constant, without token, schema or evaluation. What any POST with a JSON body costs
 * on this HTTP stack, which bounds what the evaluate route can reach against the health route.
 */
async function serveBare() {
  const { default: Fastify } = await import('fastify');
  const app = Fastify();
  app.post('/evaluate', () => ({ value: true, variant: 'on', reason: 'STATIC' }));
  await app.listen({ port: 0, host: '127.0.0.1' });
  const address = /** @type {import('node:net').AddressInfo} */ (app.server.address());
  console.log(`bare server http://127.0.0.1:${address.port}\n`);
}

/**
 * Child mode: a Flowline API over a fresh store, the bench flags written, tokens printed.
 * @param {string} home
 */
async function serve(home) {
  // Computed specifiers keep tsc (checkJs) from type-checking the compiled JavaScript.
  /** @type {typeof import('../src/app/flowline.js')} */
  const { createFlowline } = await import(new URL('../dist/app/flowline.js', import.meta.url).href);
  /** @type {typeof import('../src/app/api.js')} */
  const { startApi } = await import(new URL('../dist/app/api.js', import.meta.url).href);
  /** @type {typeof import('../src/core/settings.js')} */
  const { loadSettings } = await import(new URL('../dist/core/settings.js', import.meta.url).href);
  const flowline = await createFlowline(loadSettings({ FLOWLINE_HOME: home }, home));
  const api = await startApi(flowline, { port: 0, host: '127.0.0.1' });
  const actor = flowline.localActor;
  const client = (
    await flowline.tokens.create({ name: 'web', role: 'client', environments: ['production'] }, actor)
  ).secret;
  const deployer = (await flowline.tokens.create({ name: 'ci', role: 'deploy' }, actor)).secret;
  await flowline.flags.replace('bench', 'production', FLOWLINE, { actor, where: flowline.where });
  console.log(`flags server ${JSON.stringify({ url: api.url, client, deployer })}`);
  process.on('SIGTERM', () => {
    api
      .close()
      .then(() => flowline.close())
      .then(() => process.exit(0));
  });
}

/**
 * CPU time (user + system) the process has used, in ms, from /proc (Linux); undefined elsewhere.
 * Per request, it is the server's cost without the load generator's share of the two cores.
 * @param {number | undefined} pid
 */
function cpuMs(pid) {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return ((Number(fields[11]) + Number(fields[12])) * 1000) / CLOCK_TICKS;
  } catch {
    return undefined;
  }
}
const CLOCK_TICKS = Number(spawnSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).stdout.trim()) || 100;

/** @param {number[]} values */
function median(values) {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1 ? (sorted[mid] ?? 0) : ((sorted[mid - 1] ?? 0) + (sorted[mid] ?? 0)) / 2;
}

/**
 * @param {{ connections?: number, durationS?: number, rounds?: number, subscribers?: number, changes?: number }} [options]
 */
export async function benchFlagsServer(options = {}) {
  const connections = options.connections ?? 50;
  const durationS = options.durationS ?? 5;
  const rounds = options.rounds ?? 3;
  const notes = [
    `load average at start: ${os
      .loadavg()
      .map((l) => l.toFixed(1))
      .join(' ')}`,
  ];
  const home = await mkdtemp(path.join(os.tmpdir(), 'flowline-bench-flags-'));
  const server = await spawnReady(process.execPath, [SELF, '--serve', home], {
    ready: /flags server (\{.*\})\n/,
    timeoutMs: 30_000,
  });
  /** @type {{ url: string, client: string, deployer: string }} */
  const info = JSON.parse(/** @type {string} */ (server.match[1]));
  const bare = await spawnReady(process.execPath, [SELF, '--bare'], {
    ready: /bare server (\S+)\n/,
    timeoutMs: 30_000,
  });
  try {
    const auth = { authorization: `Bearer ${info.client}` };
    const json = { ...auth, 'content-type': 'application/json' };
    const context = { targetingKey: 'user-4711', email: 'jo@shop.io', country: 'BR', plan: 'pro', age: 41 };
    const etag = (await fetch(info.url + SET, { headers: auth })).headers.get('etag') ?? '';
    /** @type {{ case: string, options: Parameters<typeof runLoad>[0], pid?: number | undefined }[]} */
    const cases = [
      { case: 'GET /v1/health (baseline)', options: { url: `${info.url}/v1/health` } },
      ...['a', 'b', 'c'].map((flag) => ({
        case: `evaluate ${{ a: 'on/off', b: '10% rollout', c: '3 rules + segment' }[flag]}`,
        options: {
          url: `${info.url}${SET}/evaluate`,
          method: /** @type {const} */ ('POST'),
          headers: json,
          body: JSON.stringify({ flag, context }),
        },
      })),
      {
        case: 'evaluate/bulk (3 flags)',
        options: {
          url: `${info.url}${SET}/evaluate/bulk`,
          method: /** @type {const} */ ('POST'),
          headers: json,
          body: JSON.stringify({ context }),
        },
      },
      {
        case: 'GET set, If-None-Match (304)',
        options: { url: info.url + SET, headers: { ...auth, 'if-none-match': etag } },
      },
      {
        case: 'reference: bare Fastify POST, same body',
        options: {
          url: `${bare.match[1]}/evaluate`,
          method: /** @type {const} */ ('POST'),
          headers: json,
          body: JSON.stringify({ flag: 'a', context }),
        },
        pid: bare.child.pid,
      },
    ];
    await runLoad({ .../** @type {(typeof cases)[number]} */ (cases[1]).options, connections, durationS: 2 }); // warm-up
    // Rounds with the cases taking turns, each compared with the health route of its own round:
    // the machine is shared, and a load that comes and goes then moves both sides of a ratio.
    /** @type {{ reqPerSec: number, ratio: number, p50: number, p99: number, failed: number, cpuUs: number, cpuRatio: number }[][]} */
    const runs = cases.map(() => []);
    for (let round = 0; round < rounds; round++) {
      let baseline = 0;
      let baselineCpu = 0;
      for (const [i, c] of cases.entries()) {
        const pid = c.pid ?? server.child.pid;
        const cpuBefore = cpuMs(pid);
        const load = await runLoad({ ...c.options, connections, durationS });
        const cpuAfter = cpuMs(pid);
        const cpuUs =
          cpuBefore === undefined || cpuAfter === undefined || load.requests === 0
            ? Number.NaN
            : ((cpuAfter - cpuBefore) * 1000) / load.requests;
        if (i === 0) {
          baseline = load.reqPerSec;
          baselineCpu = cpuUs;
        }
        const non2xx = c.case.includes('304') ? load.non2xx - load.requests : load.non2xx; // 304 counts as non-2xx
        runs[i]?.push({
          reqPerSec: load.reqPerSec,
          ratio: load.reqPerSec / baseline,
          p50: load.latencyMs.p50,
          p99: load.latencyMs.p99,
          failed: load.errors + Math.max(0, non2xx),
          cpuUs,
          cpuRatio: baselineCpu / cpuUs,
        });
      }
    }
    /** @type {Record<string, unknown>[]} */
    const results = cases.map((c, i) => {
      const of = /** @type {NonNullable<(typeof runs)[number]>} */ (runs[i]);
      const ratios = of.map((r) => r.ratio);
      return {
        case: c.case,
        'req/s': Math.round(median(of.map((r) => r.reqPerSec))),
        'vs health': median(ratios).toFixed(2),
        range: `${Math.min(...ratios).toFixed(2)}–${Math.max(...ratios).toFixed(2)}`,
        'p50 ms': median(of.map((r) => r.p50)),
        'p99 ms': median(of.map((r) => r.p99)),
        'server CPU µs/req': Number(median(of.map((r) => r.cpuUs)).toFixed(1)),
        // Health's CPU per request ÷ this case's: the rate ratio of a server that has a core to itself.
        'vs health by CPU': median(of.map((r) => r.cpuRatio)).toFixed(2),
        failed: of.reduce((sum, r) => sum + r.failed, 0),
      };
    });
    results.push(...(await propagation(info, options.subscribers ?? 1000, options.changes ?? 5, notes)));
    return { name: 'flags-server', runs: rounds, results, notes, connections, durationS };
  } finally {
    await bare.stop();
    await server.stop();
    await rm(home, { recursive: true, force: true });
  }
}

/**
 * Connects `wanted` raw SSE clients, then makes `changes` flag changes one after another and
 * times each change's arrival at every subscriber (from sending the change request).
 * @param {{ url: string, client: string, deployer: string }} info
 * @param {number} wanted
 * @param {number} changes
 * @param {string[]} notes
 */
async function propagation(info, wanted, changes, notes) {
  const limit = Number(spawnSync('sh', ['-c', 'ulimit -n'], { encoding: 'utf8' }).stdout.trim()) || 1024;
  // Each subscriber is a socket at both ends (both in this machine), plus the server's own files.
  const subscribers = Math.min(wanted, Math.floor((limit - 200) / 2));
  if (subscribers < wanted)
    notes.push(
      `ulimit -n is ${limit}: ${subscribers} subscribers instead of ${wanted} (raise it: ulimit -n 4096)`,
    );
  const agent = new http.Agent({ keepAlive: false, maxSockets: Number.POSITIVE_INFINITY });
  /** @type {{ waiting: string | undefined, arrived: (at: number) => void, request: http.ClientRequest }[]} */
  const clients = [];
  /** @type {Promise<void>[]} */
  const connected = [];
  for (let i = 0; i < subscribers; i++) {
    connected.push(
      new Promise((resolve, reject) => {
        /** @type {(typeof clients)[number]} */
        const client = {
          waiting: undefined,
          arrived: () => {},
          request: http.get(
            `${info.url}${SET}/stream`,
            { agent, headers: { authorization: `Bearer ${info.client}` } },
            (res) => {
              let text = '';
              res.setEncoding('utf8');
              res.on('data', (/** @type {string} */ chunk) => {
                text += chunk;
                if (text.includes('\n\n')) resolve(); // the set on connect
                if (client.waiting !== undefined && text.includes(client.waiting)) {
                  client.waiting = undefined;
                  client.arrived(performance.now());
                }
                if (text.length > 1 << 20) text = text.slice(-65_536);
              });
            },
          ),
        };
        client.request.on('error', reject);
        clients.push(client);
      }),
    );
    if (i % 100 === 99) await new Promise((resolve) => setTimeout(resolve, 20)); // spare the accept queue
  }
  await Promise.all(connected);
  /** @type {number[]} */
  const latencies = [];
  /** @type {number[]} */
  const writes = [];
  for (let round = 0; round < changes; round++) {
    const current = /** @type {{ version: number }} */ (
      await (await fetch(info.url + SET, { headers: { authorization: `Bearer ${info.client}` } })).json()
    );
    const marker = `\nid: ${current.version + 1}\n`;
    const arrivals = clients.map(
      (client) =>
        /** @type {Promise<number>} */ (
          new Promise((resolve) => {
            client.waiting = marker;
            client.arrived = resolve;
          })
        ),
    );
    const sent = performance.now();
    const response = await fetch(`${info.url}${SET}/b/${round % 2 === 0 ? 'disable' : 'enable'}`, {
      method: 'POST',
      headers: { authorization: `Bearer ${info.deployer}` },
    });
    writes.push(performance.now() - sent);
    if (!response.ok) throw new Error(`flag change failed: HTTP ${response.status}`);
    for (const at of await Promise.all(arrivals)) latencies.push(at - sent);
  }
  for (const client of clients) client.request.destroy();
  agent.destroy();
  latencies.sort((a, b) => a - b);
  writes.sort((a, b) => a - b);
  const at = (/** @type {number[]} */ list, /** @type {number} */ q) =>
    list[Math.min(list.length - 1, Math.floor(q * list.length))] ?? 0;
  return [
    {
      case: `stream: change → ${subscribers} subscribers (${changes} changes)`,
      'p50 ms': Number(at(latencies, 0.5).toFixed(1)),
      'p99 ms': Number(at(latencies, 0.99).toFixed(1)),
      'max ms': Number((latencies.at(-1) ?? 0).toFixed(1)),
      'change request p50 ms': Number(at(writes, 0.5).toFixed(1)),
      received: `${latencies.length}/${subscribers * changes}`,
    },
  ];
}
