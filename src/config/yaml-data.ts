import {
  type Alias,
  type CST,
  type Document,
  isAlias,
  isMap,
  isScalar,
  isSeq,
  type Node,
  type YAMLMap,
  type YAMLSeq,
} from 'yaml';
import type { Position, RawIssue } from './issue.js';
import { MAX_ALIAS_VALUES, MAX_DEPTH, MAX_DESCRIBED, TOO_LARGE, type WorkMeter } from './limits.js';

/**
 * From the YAML tree to plain data in one pass, with the limits that keep it linear.
 *
 * The YAML library's own `toJS` is not used: it finds each alias's anchor by scanning every
 * anchor and alias before it, and counts aliases inside anchors by walking the whole document
 * again, so a 45 KB file of aliases took 22 s. Here anchors live in a map as they are met, every
 * value is built once, and each alias adds the size of what it repeats to a running total:
 * later stages walk shared values again, so that total is what they will pay.
 */

/** The plain data of a document, with what locating problems later needs. */
export interface BuiltData {
  readonly data: unknown;
  readonly errors: RawIssue[];
  /** Problems beyond the first {@link MAX_DESCRIBED}, counted only (they come in document order). */
  readonly omitted: number;
  /** Each alias and the anchored node it repeats: a problem under an alias points into the anchor. */
  readonly aliasTargets: ReadonlyMap<Alias, Node>;
}

const ALIAS_HINT = 'define the anchor (`&name`) before using it (`*name`)';

/**
 * The offset of the first mapping or list nested deeper than {@link MAX_DEPTH} in the parser's
 * token tree, or undefined. Walked with an explicit stack: this runs on input of any depth.
 */
export function deepestOffset(tokens: readonly CST.Token[], meter: WorkMeter): number | undefined {
  const stack: [CST.Token, number][] = [];
  for (const token of tokens) {
    if (token.type === 'document' && token.value !== undefined) stack.push([token.value, 1]);
  }
  stack.reverse();
  while (stack.length > 0) {
    const [token, depth] = stack.pop() as [CST.Token, number];
    meter.units++;
    if (token.type !== 'block-map' && token.type !== 'block-seq' && token.type !== 'flow-collection')
      continue;
    if (depth > MAX_DEPTH) return token.offset;
    // Pushed last to first, so the walk meets them in document order.
    for (let i = token.items.length - 1; i >= 0; i--) {
      const item = token.items[i];
      if (item?.value) stack.push([item.value, depth + 1]);
      if (item?.key) stack.push([item.key, depth + 1]);
    }
  }
  return undefined;
}

/** Builds the data of `doc`; problems are located with `at` (an offset to a line and column). */
export function buildData(
  doc: Document.Parsed,
  at: (offset: number) => Position,
  meter: WorkMeter,
): BuiltData {
  const builder = new Builder(at, meter);
  const built = builder.build(doc.contents, 1);
  return {
    data: built.value,
    errors: builder.errors,
    omitted: builder.omitted,
    aliasTargets: builder.aliasTargets,
  };
}

/** A value built, with what aliases of it cost: its size in values and its height in levels. */
interface Built {
  readonly value: unknown;
  readonly size: number;
  readonly height: number;
}

interface Anchor {
  readonly node: Node;
  /** Undefined while the anchored value is being built: an alias inside it would contain itself. */
  built?: Built;
}

const NOTHING: Built = { value: null, size: 1, height: 0 };

class Builder {
  readonly errors: RawIssue[] = [];
  omitted = 0;
  readonly aliasTargets = new Map<Alias, Node>();
  private readonly anchors = new Map<string, Anchor>();
  private aliasValues = 0;
  /** A limit was hit: the document is refused whole, the rest is not built. */
  private stopped = false;

  constructor(
    private readonly at: (offset: number) => Position,
    private readonly meter: WorkMeter,
  ) {}

  /** `depth`: the level a mapping or list here would have (the top one is 1). */
  build(node: unknown, depth: number): Built {
    this.meter.units++;
    if (this.stopped) return NOTHING;
    if (isAlias(node)) return this.alias(node, depth);
    let anchor: Anchor | undefined;
    if ((isMap(node) || isSeq(node) || isScalar(node)) && node.anchor) {
      anchor = { node };
      this.anchors.set(node.anchor, anchor);
    }
    let built = NOTHING;
    if (isMap(node)) built = this.map(node, depth);
    else if (isSeq(node)) built = this.seq(node, depth);
    else if (isScalar(node)) built = { value: node.value, size: 1, height: 0 };
    if (anchor) anchor.built = built;
    return built;
  }

  private seq(node: YAMLSeq, depth: number): Built {
    const value: unknown[] = [];
    let size = 1;
    let height = 1;
    for (const item of node.items) {
      const built = this.build(item, depth + 1);
      value.push(built.value);
      size += built.size;
      height = Math.max(height, built.height + 1);
    }
    return { value, size, height };
  }

  private map(node: YAMLMap, depth: number): Built {
    const value: Record<string, unknown> = {};
    const firstOffset = new Map<string, number>();
    let size = 1;
    let height = 1;
    for (const pair of node.items) {
      this.meter.units++;
      if (isMergeKey(pair.key)) {
        const merged = this.merge(value, pair.value, depth);
        size += merged.size;
        height = Math.max(height, merged.height);
        continue;
      }
      const key = this.key(pair.key, depth);
      const built = this.build(pair.value, depth + 1);
      size += 1 + built.size;
      height = Math.max(height, built.height + 1);
      if (key === undefined) continue;
      const offset = isScalar(pair.key) || isAlias(pair.key) ? (pair.key.range?.[0] ?? 0) : 0;
      const first = firstOffset.get(key);
      if (first !== undefined) {
        this.problem(offset, {
          code: 'yaml_duplicate_key',
          message: () => `duplicate key \`${key}\` (first defined at line ${this.at(first).line})`,
          hint: 'remove one of them or merge their contents',
        });
        continue;
      }
      firstOffset.set(key, offset);
      setOwn(value, key, built.value);
    }
    return { value, size, height };
  }

  /** A key as the data names it: scalars as text (`1` and `"1"` are one key), collections refused. */
  private key(node: unknown, depth: number): string | undefined {
    if (node === null || node === undefined) return '';
    let value: unknown;
    if (isScalar(node)) value = node.value;
    else if (isAlias(node)) value = this.alias(node, depth).value;
    if ((!isScalar(node) && !isAlias(node)) || (typeof value === 'object' && value !== null)) {
      this.refuseKey(node);
      return undefined;
    }
    return value === null || value === undefined ? '' : String(value);
  }

  private refuseKey(node: unknown): void {
    this.problem(offsetOf(node), {
      code: 'yaml_collection_key',
      message: () => 'a key must be a plain value, not a mapping or a list',
      hint: 'write the key as text; quote it if it holds `[`, `{` or `,`',
    });
  }

  /** `<<: *base` or `<<: [*a, *b]`: copies the keys the mapping does not set itself, first source first. */
  private merge(target: Record<string, unknown>, node: unknown, depth: number): Built {
    const built = this.build(node, depth);
    const sources = Array.isArray(built.value) ? built.value : [built.value];
    for (const source of sources) {
      // After a limit was hit values are not built: nothing to say about them.
      if (this.stopped) break;
      if (typeof source !== 'object' || source === null || Array.isArray(source)) {
        this.problem(offsetOf(node), {
          code: 'yaml_merge',
          message: () => '`<<` merges mappings, and this is not one',
          hint: 'write `<<: *name` with `&name` on a mapping, or a list of such aliases',
        });
        break;
      }
      for (const [key, value] of Object.entries(source)) {
        this.meter.units++;
        if (!Object.hasOwn(target, key)) setOwn(target, key, value);
      }
    }
    return built;
  }

  private alias(node: Alias, depth: number): Built {
    const anchor = this.anchors.get(node.source);
    const offset = offsetOf(node);
    if (anchor?.built === undefined) {
      const inside = anchor !== undefined;
      this.problem(offset, {
        code: 'yaml_alias',
        message: () =>
          inside
            ? `\`*${node.source}\` is inside the value its anchor names: a value cannot contain itself`
            : `\`*${node.source}\` refers to an anchor that is not defined before it`,
        hint: inside
          ? 'move the alias out of the anchored value, or anchor a smaller part of it'
          : ALIAS_HINT,
      });
      return NOTHING;
    }
    this.aliasTargets.set(node, anchor.node);
    const { size, height } = anchor.built;
    if (depth + height - 1 > MAX_DEPTH) {
      return this.limit(offset, `\`*${node.source}\` nests values more than ${MAX_DEPTH} levels deep`);
    }
    if (this.aliasValues + size > MAX_ALIAS_VALUES) {
      return this.limit(
        offset,
        `aliases repeat more than ${MAX_ALIAS_VALUES} values in all; \`*${node.source}\` alone repeats ${size}`,
      );
    }
    this.aliasValues += size;
    this.meter.units += size;
    return anchor.built;
  }

  /** Refuses the whole document (always recorded: it decides the error code of the file). */
  private limit(offset: number, message: string): Built {
    this.stopped = true;
    this.errors.push({
      code: TOO_LARGE,
      message,
      path: [],
      position: this.at(offset),
      hint: 'aliases are for a few shared values; write the values out, or check where this file came from',
    });
    return NOTHING;
  }

  /** Records a problem; past {@link MAX_DESCRIBED} it is only counted, its message never written. */
  private problem(offset: number, issue: { code: string; message: () => string; hint: string }): void {
    if (this.errors.length >= MAX_DESCRIBED) {
      this.omitted++;
      return;
    }
    const { code, message, hint } = issue;
    this.errors.push({ code, message: message(), path: [], position: this.at(offset), hint });
  }
}

function offsetOf(node: unknown): number {
  return isMap(node) || isSeq(node) || isScalar(node) || isAlias(node) ? (node.range?.[0] ?? 0) : 0;
}

/** `<<` as a key: the YAML library resolves it to a symbol when merge keys are on. */
function isMergeKey(key: unknown): boolean {
  return isScalar(key) && typeof key.value === 'symbol' && key.value.description === '<<';
}

/** Sets an own property, `__proto__` included (assigning that one would change the prototype). */
function setOwn(target: Record<string, unknown>, key: string, value: unknown): void {
  if (key === '__proto__') {
    Object.defineProperty(target, key, { value, writable: true, enumerable: true, configurable: true });
  } else {
    target[key] = value;
  }
}
