import type { PlanNode } from './types.js';

/** `500ms`, `1.5s`, `42s`, `2m`, `1m30s`, `1h5m`: durations in messages and displays. */
export function formatMillis(ms: number): string {
  if (ms < 1000) return `${Math.round(ms)}ms`;
  if (ms < 10_000) return `${(Math.round(ms / 100) / 10).toString()}s`;
  const totalSeconds = Math.round(ms / 1000);
  if (totalSeconds < 60) return `${totalSeconds}s`;
  const hours = Math.floor(totalSeconds / 3600);
  const minutes = Math.floor((totalSeconds % 3600) / 60);
  const seconds = totalSeconds % 60;
  if (hours > 0) return `${hours}h${minutes > 0 ? `${minutes}m` : ''}`;
  return `${minutes}m${seconds > 0 ? `${seconds}s` : ''}`;
}

/** `stage unit`, `the build`, `the finally steps`: a node as messages name it. */
export function describeNode(node: Pick<PlanNode, 'name' | 'kind'>): string {
  if (node.kind === 'build') return 'the build';
  if (node.kind === 'finally') return 'the finally steps';
  return `stage ${node.name}`;
}
