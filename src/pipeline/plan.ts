import type { FlowlineConfig } from '../config/index.js';
import { FlowlineError } from '../core/errors.js';
import type { PlanNode } from './types.js';

/** The name of the build node (and of the need that stands for the artifact). */
export const BUILD = 'build';

/**
 * The nodes a run executes, in order: the build (when `build.command` is set), the stages as
 * written, and the `finally` steps (always last, outside the graph: see {@link finallyNode}).
 *
 * `only` (from `--stages`) keeps those stages and everything they need, transitively.
 * Config validation already rejects cycles and unknown needs; this checks again because a
 * runner that trusted its input would hang on a cycle instead of failing.
 */
export function buildPlan(config: FlowlineConfig, only?: readonly string[]): PlanNode[] {
  const nodes: PlanNode[] = [];
  const hasBuild = config.build.command !== undefined;
  if (hasBuild) {
    nodes.push({
      name: BUILD,
      kind: 'build',
      needs: [],
      steps: [{ name: 'build', run: config.build.command ?? '', env: {} }],
      timeout: config.build.timeout,
      continueOnFailure: false,
      env: {},
      image: config.build.image,
    });
  }
  for (const stage of Object.values(config.stages)) {
    nodes.push({
      name: stage.name,
      kind: 'stage',
      // Without a build command there is no build node: `needs: [build]` is met from the start.
      needs: stage.needs.filter((need) => need !== BUILD || hasBuild),
      steps: stage.steps,
      timeout: stage.timeout,
      continueOnFailure: stage.continueOnFailure,
      env: stage.env,
      image: stage.image,
    });
  }
  checkGraph(nodes);
  return only === undefined ? nodes : select(nodes, only, hasBuild);
}

/** The limit of a `finally` step without its own `timeout` (stages default to 30m too). */
const FINALLY_STEP_TIMEOUT = 30 * 60_000;

/** The `finally` node, or undefined when there are no `finally` steps. Named so it cannot clash with a stage. */
export function finallyNode(config: FlowlineConfig): PlanNode | undefined {
  if (config.finally.length === 0) return undefined;
  let name = 'finally';
  while (name in config.stages) name = `_${name}`;
  return {
    name,
    kind: 'finally',
    needs: [],
    steps: config.finally,
    timeout: config.finally.reduce((sum, step) => sum + (step.timeout ?? FINALLY_STEP_TIMEOUT), 0),
    continueOnFailure: false,
    env: {},
  };
}

function select(nodes: readonly PlanNode[], only: readonly string[], hasBuild: boolean): PlanNode[] {
  const byName = new Map(nodes.map((node) => [node.name, node]));
  const unknown = only.filter((name) => !byName.has(name) && !(name === BUILD && !hasBuild));
  if (unknown.length > 0) {
    const known = nodes.map((node) => node.name).join(', ');
    throw new FlowlineError(
      'FLOWLINE_USAGE',
      `--stages names ${unknown.map((n) => `\`${n}\``).join(', ')}, which ${unknown.length === 1 ? 'is' : 'are'} not in the pipeline.`,
      { hint: `The pipeline's stages: ${known === '' ? '(none)' : known}.` },
    );
  }
  const keep = new Set<string>();
  const visit = (name: string): void => {
    const node = byName.get(name);
    if (node === undefined || keep.has(name)) return;
    keep.add(name);
    for (const need of node.needs) visit(need);
  };
  for (const name of only) visit(name);
  return nodes.filter((node) => keep.has(node.name));
}

/** Throws FLOWLINE_CONFIG_INVALID for a need naming no node or needs forming a cycle. */
function checkGraph(nodes: readonly PlanNode[]): void {
  const byName = new Map(nodes.map((node) => [node.name, node]));
  for (const node of nodes) {
    for (const need of node.needs) {
      if (!byName.has(need)) {
        throw new FlowlineError(
          'FLOWLINE_CONFIG_INVALID',
          `stage \`${node.name}\` needs \`${need}\`, which is not defined`,
          {
            location: { path: `stages.${node.name}.needs` },
            hint: 'run `flowline validate` for the position in flowline.yaml',
          },
        );
      }
    }
  }
  const state = new Map<string, 'visiting' | 'done'>();
  const visit = (name: string, path: string[]): void => {
    if (state.get(name) === 'done') return;
    if (state.get(name) === 'visiting') {
      const cycle = [...path.slice(path.indexOf(name)), name].join(' → ');
      throw new FlowlineError('FLOWLINE_CONFIG_INVALID', `stages need each other in a cycle: ${cycle}`, {
        location: { path: `stages.${name}.needs` },
        hint: 'remove one of these `needs` so the stages can run in an order',
      });
    }
    state.set(name, 'visiting');
    for (const need of byName.get(name)?.needs ?? []) visit(need, [...path, name]);
    state.set(name, 'done');
  };
  for (const node of nodes) visit(node.name, []);
}
