/**
 * flowline.yaml texts of hostile shapes, each grown to a given size: for the fuzz test that bounds
 * the cost of parsing (test/security/config-fuzz.test.ts) and the benchmark that times it against
 * a plain file of the same size (bench/config-parse.js). Each shape aims at one way a parser can
 * go superlinear: depth, width, aliases, long strings, many errors, many references.
 */

/** Appends `piece(i)` to `head` while the text stays within `bytes` (with `tail` at the end). */
function grow(head: string, bytes: number, piece: (i: number) => string, tail = ''): string {
  const parts = [head];
  let length = head.length + tail.length;
  for (let i = 0; ; i++) {
    const next = piece(i);
    if (length + next.length > bytes) break;
    parts.push(next);
    length += next.length;
  }
  parts.push(tail);
  return parts.join('');
}

const HEAD = 'version: 1\nservice: shop\n';

/** Nested `[` closed at the end: as deep as the size allows. */
function nested(open: string, close: string, bytes: number): string {
  const depth = Math.floor((bytes - HEAD.length - 10) / (open.length + close.length));
  return `${HEAD}x: ${open.repeat(depth)}${close.repeat(depth)}\n`;
}

/** The shapes by name; each returns a text of about `bytes` bytes (never more). */
export const CONFIG_SHAPES: Readonly<Record<string, (bytes: number) => string>> = {
  /** A valid file: many stages with steps, a few environments. The baseline of the benchmark. */
  plain: (bytes) =>
    grow(`${HEAD}stages:\n`, bytes, (i) => `  s${i}:\n    steps:\n      - run: npm test -- --shard=${i}\n`),
  /** `[[[[…]]]]`: the YAML library builds its tree recursively. */
  deepFlow: (bytes) => nested('[', ']', bytes),
  /** `{a: {a: {a: …}}}` */
  deepFlowMap: (bytes) => nested('{a: ', '}', bytes),
  /** `- - - - x`: nested lists on one line. */
  deepDashes: (bytes) => `${HEAD}x:\n${grow('  ', bytes - HEAD.length - 10, () => '- ')}x\n`,
  /** Block mappings indented one more space each line. */
  deepBlock: (bytes) => grow(`${HEAD}x:\n`, bytes, (i) => `${' '.repeat(i + 1)}a:\n`),
  /** Thousands of unknown keys at the top: one error each. */
  manyKeys: (bytes) => grow(HEAD, bytes, (i) => `key${i}: ${i}\n`),
  /** Thousands of stages needing stages that do not exist: one error and one suggestion each. */
  manyMissingNeeds: (bytes) =>
    grow(`${HEAD}stages:\n`, bytes, (i) => `  s${i}: { needs: [s${i}x], steps: [{ run: t }] }\n`),
  /** Each stage needs the next: a chain as long as the file, closed into one cycle. */
  needsChain: (bytes) =>
    grow(`${HEAD}stages:\n  s0: { needs: [s1], steps: [{ run: t }] }\n`, bytes, (i) => {
      return `  s${i + 1}: { needs: [s${i + 2}, s0], steps: [{ run: t }] }\n`;
    }),
  /** One string as long as the file. */
  longString: (bytes) => `${HEAD}run: { command: "${'x'.repeat(Math.max(0, bytes - HEAD.length - 40))}" }\n`,
  /** Keys of 50 KB, nearly alike: names to compare in suggestions. */
  longKeys: (bytes) =>
    grow(
      `${HEAD}stages:\n`,
      bytes,
      (i) => `  ${'s'.repeat(50_000)}${i}: { needs: [${'s'.repeat(50_000)}x${i}] }\n`,
    ),
  /** The billion laughs: each anchor repeats the previous one ten times. */
  aliasBomb: (bytes) => {
    let text = `${HEAD}a0: &a0 [x, x, x, x, x, x, x, x, x, x]\n`;
    for (let i = 1; i < 30; i++)
      text += `a${i}: &a${i} [${Array(10)
        .fill(`*a${i - 1}`)
        .join(', ')}]\n`;
    return grow(text, bytes, (i) => `p${i}: x\n`);
  },
  /** One anchor and as many aliases of it as fit. */
  manyAliases: (bytes) => grow(`${HEAD}a: &a x\nb: [`, bytes, () => '*a, ', ']\n'),
  /** Anchor, alias, anchor, alias…: what made the YAML library's alias lookup quadratic. */
  anchorAliasPairs: (bytes) => grow(`${HEAD}x:\n`, bytes, (i) => `  - &a${i} v\n  - *a${i}\n`),
  /** Each anchor holds an alias of the previous one: aliases nested as deep as there are anchors. */
  aliasChain: (bytes) => grow(`${HEAD}x:\n  - &a0 [v]\n`, bytes, (i) => `  - &a${i + 1} [*a${i}]\n`),
  /** Merge keys repeating one mapping in every entry. */
  mergeKeys: (bytes) =>
    grow(`${HEAD}base: &b { p: 1, q: 2, r: 3 }\nm:\n`, bytes, (i) => `  k${i}: { <<: *b, s: ${i} }\n`),
  /** The same key again and again in one mapping. */
  duplicateKeys: (bytes) => grow(`${HEAD}stages:\n`, bytes, () => '  same: {}\n'),
  /** One flow mapping on one line with every key in it. */
  flowMap: (bytes) => grow(`${HEAD}x: {`, bytes, (i) => `k${i}: [${i}, {v: ${i}}], `, '}\n'),
  /** A syntax error on every line. */
  syntaxErrors: (bytes) => grow(HEAD, bytes, (i) => `k${i}: [a, : b\n\t- ]] }}\n`),
  /** A quote opened on every line and never closed. */
  unclosedQuotes: (bytes) => grow(HEAD, bytes, (i) => `k${i}: "open\n`),
};
