// The dashboard in real Chromium against a real `flowline serve` whose store holds the issue's
// load: 10,000 deployments (imported history of 20 services), 1,000 pipeline runs and 500 flags,
// all written through the public API. Measured, over repeated loads:
// - first meaningful paint of the environments view: from navigation start to the first
//   environment card on screen (`performance.now()` in the page);
// - baseline in the same run: the browser loading `GET /v1/health` (one tiny JSON answer), and the
//   environments status API answer alone, fetched from Node;
// - the JavaScript the first load fetches, gzipped (the shell and the environments view);
// - live updates: from the API call that changes something to the page showing it (the page's
//   clock and Node's are the same machine's): a stage's status in the run view, a
//   canary's weight in the release view (the two).
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { gzipSync } from 'node:zlib';
import { chromium } from 'playwright-core';
import { median, round } from './lib/stats.js';
import { loadAverage, startFlowline } from './release.js';

const WEB = fileURLToPath(new URL('../dist/web/', import.meta.url));
const SERVICES = 20;
const DEPLOYMENTS = 10_000;
const RUNS = 1_000;
const FLAGS = 500;
const LOADS = 15;
const LIVE_CHANGES = 10;

const ENVIRONMENTS = `environments:
  staging:
    strategy: { blueGreen: { scaleDownDelay: 0s } }
  production:
    strategy: { blueGreen: { scaleDownDelay: 0s } }
  canary:
    strategy:
      canary:
        steps: [{ setWeight: 10 }, { pause: {} }, { setWeight: 20 }, { pause: {} }, { setWeight: 30 }, { pause: {} }, { setWeight: 40 }, { pause: {} }, { setWeight: 50 }, { pause: {} }, { setWeight: 60 }, { pause: {} }]
`;

/**
 * Resolves with Date.now() in the page once \`selector\`'s text matches \`pattern\` (the page and
 * Node share the machine's clock).
 * @param {import('playwright-core').Page} page @param {string} selector @param {string} pattern
 */
function seenWhen(page, selector, pattern) {
  const seen = page.evaluate(
    `new Promise((resolve) => {
      const check = () => [...document.querySelectorAll(${JSON.stringify(selector)})]
        .some((element) => new RegExp(${JSON.stringify(pattern)}).test(element.textContent ?? ''));
      if (check()) return resolve(Date.now());
      new MutationObserver((_, observer) => { if (check()) { observer.disconnect(); resolve(Date.now()); } })
        .observe(document.body, { childList: true, subtree: true, characterData: true });
    })`,
  );
  // A change that never shows is a finding, not a hang: it fails the bench after 10 s.
  const timeout = new Promise((_, reject) =>
    setTimeout(() => reject(new Error(`${selector} never matched ${pattern}`)), 10_000).unref(),
  );
  return Promise.race([seen, timeout]);
}

/**
 * @param {{ apiUrl: string, secret: string }} api
 * @param {string} route @param {unknown} [body] @param {string} [method]
 */
async function call(api, route, body, method = body === undefined ? 'GET' : 'POST') {
  const res = await fetch(`${api.apiUrl}${route}`, {
    method,
    headers: {
      authorization: `Bearer ${api.secret}`,
      ...(body === undefined ? {} : { 'content-type': 'application/json' }),
    },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  const text = await res.text();
  if (!res.ok) throw new Error(`${method} ${route}: ${res.status} ${text.slice(0, 400)}`);
  return text === '' ? undefined : JSON.parse(text);
}

/** @param {string} service */
const configOf = (service) => `version: 1
service: ${service}
build: { command: make, inputs: ["src/**"], output: dist }
pipeline: { trunk: main }
run: { command: node server.js, port: { env: PORT } }
environments:
  staging: {}
  production: {}
`;

/** @param {{ apiUrl: string, secret: string }} api */
async function fill(api) {
  const hex = (/** @type {number} */ n) => n.toString(16).padStart(40, '0');
  const start = Date.parse('2025-01-01T00:00:00Z');
  const rows = [
    'id,service,environment,commitSha,startedAt,finishedAt,outcome,kind,unplannedReason,artifact',
  ];
  for (let i = 0; i < DEPLOYMENTS; i++) {
    const service = `svc-${String(i % SERVICES).padStart(2, '0')}`;
    const environment = i % 2 === 0 ? 'staging' : 'production';
    const at = start + i * 3_600_000;
    rows.push(
      `bench-${i},${service},${environment},${hex(i)},${new Date(at).toISOString()},${new Date(at + 300_000).toISOString()},${i % 20 === 0 ? 'rolledBack' : 'succeeded'},deploy,,${service}:${i}`,
    );
  }
  for (let i = 0; i < RUNS; i++) {
    const id = `run_${String(i).padStart(9, '0')}${i.toString(16).padStart(16, '0')}`;
    const service = `svc-${String(i % SERVICES).padStart(2, '0')}`;
    const at = new Date(start + i * 60_000).toISOString();
    await call(api, '/v1/runs', {
      id,
      service,
      branch: 'main',
      commit: { sha: hex(i), authorTime: at, message: `change ${i}` },
      where: { host: 'bench' },
      startedAt: at,
      // A service's first run registers it, with the policy its flowline.yaml seeds.
      ...(i < SERVICES ? { config: configOf(service) } : {}),
      nodes: [
        { name: 'build', kind: 'build' },
        { name: 'test', kind: 'stage' },
      ],
    });
    for (const stage of ['build', 'test']) {
      await call(
        api,
        `/v1/runs/${id}/stages/${stage}`,
        { status: 'succeeded', startedAt: at, finishedAt: at },
        'PATCH',
      );
    }
    await call(api, `/v1/runs/${id}/finish`, {
      status: 'succeeded',
      finishedAt: at,
      artifact: null,
      only: null,
      optional: [],
    });
  }
  await call(api, '/v1/history/deployments', { file: 'bench.csv', content: `${rows.join('\n')}\n` });
  const perService = FLAGS / SERVICES;
  for (let s = 0; s < SERVICES; s++) {
    const service = `svc-${String(s).padStart(2, '0')}`;
    /** @type {Record<string, unknown>} */
    const flags = {};
    for (let f = 0; f < perService; f++) {
      flags[`flag-${f}`] = {
        type: 'boolean',
        variants: { on: true, off: false },
        defaultVariant: 'off',
        enabled: true,
        rules: [{ when: { attribute: 'country', op: 'in', values: ['NL'] }, serve: { variant: 'on' } }],
      };
    }
    await call(api, `/v1/flags/${service}/production`, { flags }, 'PUT');
  }
}

/** The scripts and stylesheets index.html makes the browser fetch first, gzipped. */
async function firstLoadBytes() {
  const html = await readFile(path.join(WEB, 'index.html'), 'utf8');
  const files = [...html.matchAll(/(?:src|href)="\/(assets\/[^"]+)"/g)].map((m) => m[1] ?? '');
  let js = 0;
  let css = 0;
  for (const file of files) {
    const size = gzipSync(await readFile(path.join(WEB, file)), { level: 9 }).length;
    if (file.endsWith('.js')) js += size;
    else css += size;
  }
  return { js, css, files: files.length };
}

export async function benchDashboard() {
  const flowline = await startFlowline(ENVIRONMENTS);
  const browser = await chromium.launch({
    executablePath: '/usr/bin/chromium',
    args: [
      '--no-sandbox',
      '--disable-gpu',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
      '--no-first-run',
      '--disable-dev-shm-usage',
    ],
  });
  const loadAtStart = loadAverage();
  try {
    const [a] = flowline.artifacts;
    await flowline.must(['deploy', 'staging', '--artifact', a]);
    await flowline.must(['deploy', 'production', '--artifact', a]);
    await flowline.must(['deploy', 'canary', '--artifact', a]);
    const api = flowline.api();
    const filled = performance.now();
    await fill(api);
    const fillMs = performance.now() - filled;
    const { secret } = await call(api, '/v1/tokens', { name: 'bench-dashboard', role: 'admin' });

    const context = await browser.newContext();
    const signIn = await context.request.post(`${api.apiUrl}/v1/session`, { data: { token: secret } });
    if (!signIn.ok()) throw new Error(`sign-in: ${signIn.status()} ${await signIn.text()}`);
    const page = await context.newPage();

    /** @type {number[]} */
    const paint = [];
    /** @type {number[]} */
    const health = [];
    /** @type {number[]} */
    const status = [];
    for (let i = 0; i < LOADS; i++) {
      await page.goto(`${api.apiUrl}/`);
      await page.locator('[data-testid^="env-"]').first().waitFor();
      paint.push(await page.evaluate('performance.now()'));
      await page.goto(`${api.apiUrl}/v1/health`);
      health.push(await page.evaluate("performance.getEntriesByType('navigation')[0].responseEnd"));
      const t = performance.now();
      await call(api, '/v1/environments/status');
      status.push(performance.now() - t);
    }

    // A stage's status: a run recorded through the API, its page open, the stage moved on.
    /** @type {number[]} */
    const stages = [];
    for (let i = 0; i < LIVE_CHANGES; i++) {
      const id = `run_${String(RUNS + i).padStart(9, '0')}${(RUNS + i).toString(16).padStart(16, '0')}`;
      const at = new Date().toISOString();
      await call(api, '/v1/runs', {
        id,
        service: 'svc-00',
        branch: 'main',
        commit: null,
        where: { host: 'bench' },
        startedAt: at,
        nodes: [{ name: 'test', kind: 'stage' }],
      });
      await page.goto(`${api.apiUrl}/runs/${id}`);
      await page.locator('[data-testid="stage-test"]').waitFor();
      await page.locator('[data-testid="live-status"]', { hasText: 'Live' }).waitFor();
      const seen = seenWhen(page, '[data-testid="stage-test"]', 'running');
      const sent = Date.now();
      await call(api, `/v1/runs/${id}/stages/test`, { status: 'running', startedAt: at }, 'PATCH');
      stages.push(/** @type {number} */ (await seen) - sent);
    }

    process.stderr.write('dashboard bench: stages measured; release weights next\n');
    // A release's weight: a canary held at each pause, promoted step by step from the API.
    const releasing = flowline.apiDeploy(
      { environment: 'canary', artifact: flowline.artifacts[1] },
      () => {},
    );
    await flowline.until(
      'canary',
      // Held at the pause after setWeight 10 (phase `step:1`, steps counted from 0).
      (r) => r.phase === 'step:1' && /** @type {{ weight?: number }} */ (r).weight === 10,
    );
    await page.goto(`${api.apiUrl}/releases/hello/canary`);
    await page.locator('[data-testid="release-weights"]', { hasText: 'canary weight 10%' }).waitFor();
    await page.locator('[data-testid="live-status"]', { hasText: 'Live' }).waitFor();
    /** @type {number[]} */
    const weights = [];
    for (const weight of [20, 30, 40, 50, 60]) {
      const seen = seenWhen(page, '[data-testid="release-weights"]', `canary weight ${weight}%`);
      const sent = Date.now();
      await call(api, '/v1/releases/hello/canary/promote', {});
      weights.push(/** @type {number} */ (await seen) - sent);
    }
    await call(api, '/v1/releases/hello/canary/abort', {});
    await releasing.catch(() => {});

    const bytes = await firstLoadBytes();
    const p = median(paint);
    return {
      name: 'dashboard',
      runs: LOADS,
      results: [
        {
          case: `environments view, first meaningful paint (${DEPLOYMENTS} deployments, ${RUNS} runs, ${FLAGS} flags)`,
          'median ms': round(p),
          'max ms': round(Math.max(...paint)),
          ratio: 1,
        },
        {
          case: 'baseline: the browser loads GET /v1/health',
          'median ms': round(median(health)),
          ratio: round(median(health) / p),
        },
        {
          case: 'the environments status API alone (from Node)',
          'median ms': round(median(status)),
          ratio: round(median(status) / p),
        },
        {
          case: `first-load JavaScript, gzipped (${bytes.files} files)`,
          'median ms': `${(bytes.js / 1024).toFixed(1)} KB JS, ${(bytes.css / 1024).toFixed(1)} KB CSS`,
        },
        {
          case: `live: a stage's status to the open run view (${stages.length} changes)`,
          'median ms': round(median(stages)),
          'max ms': round(Math.max(...stages)),
        },
        {
          case: `live: a canary's weight to the open release view (${weights.length} promotions)`,
          'median ms': round(median(weights)),
          'max ms': round(Math.max(...weights)),
        },
        {
          case: `note: filled through the API in ${Math.round(fillMs / 1000)} s; load average ${loadAtStart} at start, ${loadAverage()} at end`,
        },
      ],
    };
  } finally {
    await browser.close();
    await flowline.stop();
  }
}
