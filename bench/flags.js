// In-process flag evaluations per second: Flowline's engine (compiled code from dist/) against
// unleash-client, @growthbook/growthbook and @openfeature/flagd-core on equivalent flags, in one
// run with the engines taking turns. Then bucketing: chi-square uniformity over 1,000,000 ids, and
// a digest of 1,000,000 assignments compared across two fresh processes (a restart).
//
// What each engine does per evaluation (all get a context object built once per user, as a server
// builds one per request, 10,000 users cycling):
// - Flowline: `evaluate(set, key, context)` on a compiled set (answers a frozen, shared result).
// - flagd-core: `resolveBooleanEvaluation(key, false, context)` (copies the context, runs its
//   compiled JsonLogic).
// - unleash-client: `isEnabled(key, context)` on a bootstrapped client (no server, no metrics).
// - GrowthBookClient: `isOn(key, { attributes })` on one shared client (GrowthBook's server SDK).
// - GrowthBook: `new GrowthBook({ features, attributes }).isOn(key)`: an instance per request, as
//   GrowthBook's Node docs show; reported, but its per-request set-up is part of its cost.
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { GrowthBook, GrowthBookClient } from '@growthbook/growthbook';
import { FlagdCore } from '@openfeature/flagd-core';
import { InMemStorageProvider, Unleash } from 'unleash-client';
import { BETA_IDS, FLAGD, FLOWLINE, GROWTHBOOK, UNLEASH } from './lib/flags-peers.js';
import { median } from './lib/stats.js';

/**
 * The compiled flags part from dist/ (what the server runs), typed from src/. A computed
 * specifier keeps tsc (checkJs) from type-checking the emitted JavaScript itself.
 * @returns {Promise<typeof import('../src/flags/index.js') & typeof import('../src/flags/testing.js')>}
 */
async function loadCompiled() {
  const flags = await import(new URL('../dist/flags/index.js', import.meta.url).href);
  const testing = await import(new URL('../dist/flags/testing.js', import.meta.url).href);
  return { ...flags, ...testing };
}

/**
 * @typedef {{ targetingKey: string, email: string, country: string, plan: string, age: number }} User
 * @typedef {{ engine: string, evaluate: (key: string, i: number) => boolean }} Engine
 */

/** @param {(seed: number) => () => number} prng @param {(count: number, seed: number) => string[]} randomKeys */
function users(prng, randomKeys) {
  const random = prng(2026);
  /** @param {string[]} list */
  const pick = (list) => list[Math.floor(random() * list.length)] ?? '';
  return randomKeys(10_000, 7).map((key, i) => ({
    targetingKey: i % 200 === 0 ? (BETA_IDS[i % 100] ?? key) : key,
    email: `${key.slice(0, 6)}@${pick(['example.com', 'shop.io', 'mail.net', 'corp.org'])}`,
    country: pick(['DE', 'FR', 'NL', 'US', 'BR', 'JP', 'IN', 'PL']),
    plan: pick(['free', 'pro', 'enterprise']),
    age: Math.floor(random() * 90),
  }));
}

/** @param {User[]} people @param {Awaited<ReturnType<typeof loadCompiled>>} flowline */
async function engines(people, flowline) {
  const set = flowline.compileOrThrow(FLOWLINE);
  const core = new FlagdCore();
  core.setConfigurations(JSON.stringify(FLAGD));
  const unleash = new Unleash({
    appName: 'bench',
    url: 'http://127.0.0.1:9/api/',
    refreshInterval: 0,
    disableMetrics: true,
    bootstrap: {
      data: /** @type {never} */ (UNLEASH.features),
      segments: /** @type {never} */ (UNLEASH.segments),
    },
    storageProvider: new InMemStorageProvider(),
  });
  await new Promise((resolve) => unleash.once('ready', resolve));
  const client = new GrowthBookClient().initSync({ payload: { features: GROWTHBOOK } });
  const unleashContexts = people.map((u) => ({
    userId: u.targetingKey,
    properties: { email: u.email, country: u.country, plan: u.plan, age: String(u.age) },
  }));
  const attributes = people.map((u) => ({
    id: u.targetingKey,
    email: u.email,
    country: u.country,
    plan: u.plan,
    age: u.age,
  }));
  const userContexts = attributes.map((a) => ({ attributes: a }));
  /** @param {number} i */
  const person = (i) => /** @type {User} */ (people[i]);
  /** @type {Engine[]} */
  const list = [
    { engine: 'Flowline', evaluate: (key, i) => flowline.evaluate(set, key, person(i)).value === true },
    {
      engine: 'flagd-core',
      evaluate: (key, i) => core.resolveBooleanEvaluation(key, false, person(i)).value,
    },
    { engine: 'unleash-client', evaluate: (key, i) => unleash.isEnabled(key, unleashContexts[i]) },
    {
      engine: 'GrowthBookClient',
      evaluate: (key, i) =>
        client.isOn(key, /** @type {{ attributes: Record<string, unknown> }} */ (userContexts[i])),
    },
    {
      engine: 'GrowthBook (per request)',
      evaluate: (key, i) =>
        new GrowthBook({ features: GROWTHBOOK, attributes: attributes[i] ?? {} }).isOn(key),
    },
  ];
  return { list, stop: () => unleash.destroy() };
}

/** Checks that the engines agree before timing them: exactly on a and c, about 10% on b. */
function checkEquivalent(/** @type {Engine[]} */ list, /** @type {number} */ count) {
  for (const { engine, evaluate } of list) {
    let share = 0;
    for (let i = 0; i < count; i++) {
      if (evaluate('b', i)) share++;
      for (const key of ['a', 'c']) {
        const expected = /** @type {Engine} */ (list[0]).evaluate(key, i);
        if (evaluate(key, i) !== expected)
          throw new Error(`${engine} disagrees with Flowline on flag ${key} for user ${i}`);
      }
    }
    if (Math.abs(share / count - 0.1) > 0.01)
      throw new Error(`${engine} serves flag b to ${share / count} of users`);
  }
}

/** Evaluations per second of one engine on one flag, for about `ms` milliseconds. */
function opsPerSec(
  /** @type {Engine} */ engine,
  /** @type {string} */ key,
  /** @type {number} */ count,
  /** @type {number} */ ms,
) {
  const evaluate = engine.evaluate;
  let ops = 0;
  let sink = 0;
  const start = performance.now();
  do {
    for (let i = 0; i < count; i++) if (evaluate(key, i)) sink++;
    ops += count;
  } while (performance.now() - start < ms);
  const seconds = (performance.now() - start) / 1000;
  return sink >= 0 ? ops / seconds : 0;
}

const CASES = /** @type {const} */ ([
  ['a', 'on/off flag'],
  ['b', '10% rollout'],
  ['c', '3 attribute rules + segment'],
]);

/** @param {{ rounds?: number, ms?: number }} [options] */
export async function benchFlags(options = {}) {
  const rounds = options.rounds ?? 5;
  const ms = options.ms ?? 300;
  const flowline = await loadCompiled();
  const people = users(flowline.prng, flowline.randomKeys);
  const { list, stop } = await engines(people, flowline);
  checkEquivalent(list, people.length);
  /** @type {Record<string, number[]>} */
  const samples = {};
  for (let round = 0; round <= rounds; round++) {
    for (const [key] of CASES) {
      for (const engine of round % 2 ? [...list].reverse() : list) {
        const value = opsPerSec(engine, key, people.length, ms);
        const id = `${key}|${engine.engine}`;
        if (round > 0) samples[id] = [...(samples[id] ?? []), value]; // round 0 warms up
      }
    }
  }
  stop();
  /** @type {Record<string, unknown>[]} */
  const results = [];
  for (const [key, label] of CASES) {
    const figures = list.map(({ engine }) => ({ engine, ops: median(samples[`${key}|${engine}`] ?? []) }));
    const fastestPeer = Math.max(...figures.filter((f) => f.engine !== 'Flowline').map((f) => f.ops));
    for (const { engine, ops } of figures) {
      results.push({
        case: label,
        engine,
        opsPerSec: Math.round(ops),
        vsFastestPeer: Math.round((ops / fastestPeer) * 100) / 100,
      });
    }
  }
  results.push(...bucketing(flowline));
  return { name: 'flags', runs: rounds, results };
}

const IDS = 1_000_000;
const BUCKETS = 100;
const SPLIT_SET = {
  flags: {
    split: {
      type: 'number',
      variants: Object.fromEntries(Array.from({ length: BUCKETS }, (_, i) => [`b${i}`, i])),
      defaultVariant: 'b0',
      enabled: true,
      fallthrough: {
        rollout: {
          split: Array.from({ length: BUCKETS }, (_, i) => ({ variant: `b${i}`, weight: 100 / BUCKETS })),
        },
      },
    },
  },
};

/** Assignments of 1M ids to 100 equal buckets: the counts and a digest of every assignment. */
function assign(/** @type {Awaited<ReturnType<typeof loadCompiled>>} */ flowline) {
  const set = flowline.compileOrThrow(SPLIT_SET);
  const counts = new Array(BUCKETS).fill(0);
  const hash = createHash('sha256');
  const ids = flowline.uniqueIds(IDS, 31);
  for (const targetingKey of ids) {
    const bucket = /** @type {number} */ (flowline.evaluate(set, 'split', { targetingKey }).value);
    counts[bucket]++;
    hash.update(`${bucket},`);
  }
  return { counts, digest: hash.digest('hex').slice(0, 16) };
}

function bucketing(/** @type {Awaited<ReturnType<typeof loadCompiled>>} */ flowline) {
  const { counts, digest } = assign(flowline);
  const expected = IDS / BUCKETS;
  const chiSquare = counts.reduce((sum, count) => sum + (count - expected) ** 2 / expected, 0);
  const pValue = 1 - lowerGammaRatio((BUCKETS - 1) / 2, chiSquare / 2);
  const script = fileURLToPath(import.meta.url);
  const fresh = [0, 1].map(() =>
    spawnSync(process.execPath, [script, '--digest'], { encoding: 'utf8' }).stdout.trim(),
  );
  const same = fresh.every((d) => d === digest);
  return [
    {
      case: 'bucketing uniformity',
      engine: 'Flowline',
      detail: `${IDS} ids in ${BUCKETS} buckets: chi-square ${chiSquare.toFixed(2)}, df ${BUCKETS - 1}, p ${pValue.toFixed(3)}`,
    },
    {
      case: 'bucketing after restart',
      engine: 'Flowline',
      detail: `digest of ${IDS} assignments ${digest}; 2 fresh processes: ${same ? 'identical' : `DIFFERENT (${fresh.join(', ')})`}`,
    },
  ];
}

/** The regularized lower incomplete gamma function P(s, x) (series, or continued fraction). */
function lowerGammaRatio(/** @type {number} */ s, /** @type {number} */ x) {
  if (x <= 0) return 0;
  const lnGammaS = lnGamma(s);
  if (x < s + 1) {
    let term = 1 / s;
    let sum = term;
    for (let n = 1; n < 1000 && Math.abs(term) > Math.abs(sum) * 1e-15; n++) {
      term *= x / (s + n);
      sum += term;
    }
    return sum * Math.exp(-x + s * Math.log(x) - lnGammaS);
  }
  let b = x + 1 - s;
  let c = 1e300;
  let d = 1 / b;
  let h = d;
  for (let i = 1; i < 1000; i++) {
    const an = -i * (i - s);
    b += 2;
    d = an * d + b;
    d = Math.abs(d) < 1e-300 ? 1e-300 : d;
    c = b + an / c;
    c = Math.abs(c) < 1e-300 ? 1e-300 : c;
    d = 1 / d;
    const delta = d * c;
    h *= delta;
    if (Math.abs(delta - 1) < 1e-15) break;
  }
  return 1 - Math.exp(-x + s * Math.log(x) - lnGammaS) * h;
}

/** Lanczos approximation of ln Γ(z). */
function lnGamma(/** @type {number} */ z) {
  const g = [
    676.5203681218851, -1259.1392167224028, 771.3234287776531, -176.6150291621406, 12.507343278686905,
    -0.13857109526572012, 9.984369578019572e-6, 1.5056327351493116e-7,
  ];
  let x = 0.9999999999998099;
  const t = z + 6.5;
  g.forEach((coefficient, i) => {
    x += coefficient / (z + i);
  });
  return 0.5 * Math.log(2 * Math.PI) + (z - 0.5) * Math.log(t) - t + Math.log(x);
}

// `node bench/flags.js --digest`: a fresh process prints the digest of its 1M assignments.
if (process.argv[2] === '--digest' && import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  console.log(assign(await loadCompiled()).digest);
}
