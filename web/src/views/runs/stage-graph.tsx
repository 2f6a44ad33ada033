import type { StageRecord } from '../../api/runs.js';
import { StatusBadge } from '../../components/status.js';
import { elapsed } from './common.js';
import { layoutStages } from './graph.js';

// Fixed node boxes: positions are computed, not measured, so the arrows need no DOM reads.
const NODE_W = 190;
const NODE_H = 78;
const GAP_X = 56;
const GAP_Y = 14;
// Room above the first row for arrows that arc over a column.
const PAD = 16;

/**
 * A run's stages as a graph: columns by depth (graph.ts), one arrow per need. Each stage is a
 * button that selects it (its log shows below); what it needs is also said in words, since the
 * arrows are decoration to a screen reader.
 */
export function StageGraph(props: {
  readonly stages: readonly StageRecord[];
  readonly selected: string | undefined;
  readonly now: number;
  readonly onSelect: (name: string) => void;
}) {
  const { stages, selected, now } = props;
  const layout = layoutStages(stages);
  const byName = new Map(stages.map((s) => [s.name, s]));
  const at = new Map<string, { x: number; y: number }>();
  for (const [c, column] of layout.columns.entries())
    for (const [r, name] of column.entries())
      at.set(name, { x: c * (NODE_W + GAP_X), y: PAD + r * (NODE_H + GAP_Y) });
  const width = Math.max(1, layout.columns.length) * (NODE_W + GAP_X) - GAP_X;
  const height = PAD + Math.max(1, ...layout.columns.map((c) => c.length)) * (NODE_H + GAP_Y) - GAP_Y;

  return (
    <div class="stage-graph-scroll">
      {!layout.known && (
        <p class="hint">
          The runner of this run did not record what each stage needs: stages are shown in plan order (build,
          stages, finally), without arrows.
        </p>
      )}
      <div class="stage-graph" style={{ width: `${width}px`, height: `${height}px` }}>
        <svg class="stage-edges" width={width} height={height} aria-hidden="true" focusable="false">
          <defs>
            <marker
              id="stage-arrow"
              viewBox="0 0 8 8"
              refX="8"
              refY="4"
              markerWidth="8"
              markerHeight="8"
              orient="auto"
            >
              <path d="M0,0 L8,4 L0,8 z" />
            </marker>
          </defs>
          {layout.edges.map(({ from, to }) => {
            const a = at.get(from);
            const b = at.get(to);
            if (a === undefined || b === undefined) return null;
            const x1 = a.x + NODE_W;
            const y1 = a.y + NODE_H / 2;
            const x2 = b.x - 2;
            const y2 = b.y + NODE_H / 2;
            const mid = (x1 + x2) / 2;
            // An arrow skipping a column would run behind that column's nodes: it arcs above them.
            const top = Math.min(a.y, b.y) - PAD / 2;
            const d =
              b.x - a.x > NODE_W + GAP_X
                ? `M${x1},${y1} C${x1 + GAP_X},${y1} ${x1},${top} ${x1 + GAP_X},${top} L${x2 - GAP_X},${top} C${x2},${top} ${x2 - GAP_X},${y2} ${x2},${y2}`
                : `M${x1},${y1} C${mid},${y1} ${mid},${y2} ${x2},${y2}`;
            return <path key={`${from}->${to}`} d={d} marker-end="url(#stage-arrow)" />;
          })}
        </svg>
        <ul class="stage-nodes" aria-label="Stages">
          {[...at].map(([name, pos]) => {
            const stage = byName.get(name);
            if (stage === undefined) return null;
            return (
              <li
                key={name}
                style={{ left: `${pos.x}px`, top: `${pos.y}px`, width: `${NODE_W}px`, height: `${NODE_H}px` }}
              >
                <StageNode stage={stage} now={now} selected={selected === name} onSelect={props.onSelect} />
              </li>
            );
          })}
        </ul>
      </div>
    </div>
  );
}

function StageNode(props: {
  readonly stage: StageRecord;
  readonly now: number;
  readonly selected: boolean;
  readonly onSelect: (name: string) => void;
}) {
  const { stage } = props;
  const needs = stage.needs === null || stage.needs.length === 0 ? null : stage.needs.join(', ');
  return (
    <button
      type="button"
      class={`stage-node stage-${stage.status}`}
      aria-pressed={props.selected}
      data-testid={`stage-${stage.name}`}
      data-status={stage.status}
      onClick={() => props.onSelect(stage.name)}
    >
      <span class="stage-name">
        {stage.name}
        {stage.kind !== 'stage' && <span class="tag">{stage.kind}</span>}
      </span>
      <span class="stage-line">
        <StatusBadge status={stage.status} />{' '}
        {stage.startedAt !== null && <span>{elapsed(stage.startedAt, stage.finishedAt, props.now)}</span>}
      </span>
      <span class="stage-line stage-exit" title={exitText(stage)}>
        {exitText(stage)}
      </span>
      {needs !== null && <span class="visually-hidden">, needs {needs}</span>}
    </button>
  );
}

/** `exit 2`, `killed by SIGKILL`, or the first words of the reason; the full reason shows below. */
export function exitText(stage: StageRecord): string {
  if (stage.signal !== null) return `killed by ${stage.signal}`;
  if (stage.exitCode !== null && stage.exitCode !== 0) return `exit ${stage.exitCode}`;
  if (stage.reason !== null) return stage.reason;
  if (stage.exitCode === 0) return 'exit 0';
  return '';
}
