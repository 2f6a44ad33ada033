/**
 * Lays a run's stages out in columns by depth: a stage sits one column right of the deepest stage
 * it needs, so every arrow points right. Pure, so it is tested without a browser.
 */

/** What the layout needs of a stage. */
export interface GraphStage {
  readonly name: string;
  readonly kind: 'build' | 'stage' | 'finally';
  readonly needs: readonly string[] | null;
}

export interface StageLayout {
  /** Stage names per column, left to right, each column in the run's plan order. */
  readonly columns: readonly (readonly string[])[];
  /** One arrow per need between stages of the run: from the needed stage to the one waiting. */
  readonly edges: readonly { readonly from: string; readonly to: string }[];
  /** False when the run recorded no needs: the columns then only follow the plan's kinds. */
  readonly known: boolean;
}

/**
 * The columns and arrows of a run's graph. Without recorded needs (older runners) the build is
 * column 0, the stages column 1 and `finally` last, with no arrows: the dependencies are unknown,
 * and drawing guessed ones would mislead. A need naming no stage of the run (a `--stages` run)
 * draws no arrow; a cycle, which the server's planner refuses, cannot loop here either.
 */
export function layoutStages(stages: readonly GraphStage[]): StageLayout {
  const names = new Set(stages.map((s) => s.name));
  const known = stages.some((s) => s.needs !== null);
  const byName = new Map(stages.map((s) => [s.name, s]));
  const depth = new Map<string, number>();
  const visiting = new Set<string>();

  const depthOf = (name: string): number => {
    const cached = depth.get(name);
    if (cached !== undefined) return cached;
    const stage = byName.get(name);
    if (stage === undefined || visiting.has(name)) return 0;
    visiting.add(name);
    let d: number;
    if (!known) d = stage.kind === 'build' ? 0 : 1;
    else {
      const needs = (stage.needs ?? []).filter((n) => names.has(n));
      d = needs.length === 0 ? 0 : Math.max(...needs.map(depthOf)) + 1;
    }
    visiting.delete(name);
    depth.set(name, d);
    return d;
  };

  // `finally` runs after everything else whatever its needs say: it goes in its own last column.
  const main = stages.filter((s) => s.kind !== 'finally');
  const columns: string[][] = [];
  for (const stage of main) {
    const d = depthOf(stage.name);
    while (columns.length <= d) columns.push([]);
    columns[d]?.push(stage.name);
  }
  const cleanup = stages.filter((s) => s.kind === 'finally').map((s) => s.name);
  if (cleanup.length > 0) columns.push(cleanup);

  const edges = known
    ? main.flatMap((s) => (s.needs ?? []).filter((n) => names.has(n)).map((from) => ({ from, to: s.name })))
    : [];
  return { columns: columns.filter((c) => c.length > 0), edges, known };
}
