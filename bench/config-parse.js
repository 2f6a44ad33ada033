// The time to read a 1 MiB flowline.yaml of each hostile shape (src/config/testing.ts: deep
// nesting, thousands of keys and errors, aliases and alias bombs, long strings, syntax errors…)
// against a plain, valid 1 MiB file, parsed by the compiled parser (dist/) in this one process,
// the shapes taking turns round after round. Reports medians and their ratio to the plain file:
// reading any file must cost about what reading a plain one of its size costs (see
// test/security/config-fuzz.test.ts for the same bound as counted work).
import { median, round } from './lib/stats.js';

/**
 * The compiled config part from dist/, typed from src/. A computed specifier keeps tsc (checkJs)
 * from type-checking the emitted JavaScript itself.
 * @returns {Promise<typeof import('../src/config/index.js') & typeof import('../src/config/testing.js') & typeof import('../src/config/limits.js')>}
 */
async function loadCompiled() {
  const config = await import(new URL('../dist/config/index.js', import.meta.url).href);
  const testing = await import(new URL('../dist/config/testing.js', import.meta.url).href);
  const limits = await import(new URL('../dist/config/limits.js', import.meta.url).href);
  return { ...config, ...testing, ...limits };
}

/** @param {{ runs?: number }} [options] */
export async function benchConfigParse(options = {}) {
  const runs = options.runs ?? 5;
  const { parseConfig, CONFIG_SHAPES, MAX_CONFIG_BYTES } = await loadCompiled();
  const texts = Object.entries(CONFIG_SHAPES).map(([name, make]) => ({ name, text: make(MAX_CONFIG_BYTES) }));
  /** @type {Map<string, { ms: number[], outcome: string, bytes: number }>} */
  const results = new Map(texts.map(({ name, text }) => [name, { ms: [], outcome: '', bytes: text.length }]));
  // One untimed round warms the JIT and the shapes' code paths alike.
  for (const { text } of texts) parseConfig(text, 'flowline.yaml');
  for (let round = 0; round < runs; round++) {
    for (const { name, text } of texts) {
      const start = process.hrtime.bigint();
      const result = parseConfig(text, 'flowline.yaml');
      const ms = Number(process.hrtime.bigint() - start) / 1e6;
      const entry = results.get(name);
      if (entry === undefined) continue;
      entry.ms.push(ms);
      entry.outcome = result.ok ? 'accepted' : `refused: ${result.errors[0]?.code ?? ''}`;
    }
  }
  const plain = median(results.get('plain')?.ms ?? []);
  return {
    name: 'config-parse',
    runs,
    results: [...results].map(([name, { ms, outcome, bytes }]) => ({
      case: name,
      bytes,
      medianMs: round(median(ms)),
      ratio: round(median(ms) / plain),
      outcome,
    })),
  };
}
