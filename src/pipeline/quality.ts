import type { QualityPlan } from '../config/index.js';
import { type Measurement, measureDocumentation, measureStage } from '../quality/index.js';
import type { NodeResult } from './types.js';

/** Where the runner records what it measured: the store's quality records (and, through the observer, a server). */
export interface QualityRecorder {
  record(runId: string, measurements: readonly Measurement[]): Promise<void>;
}

/**
 * The quality plan's measurements taken during one run: after each stage, the reports the plan
 * names for it; at the end, the documentation files. Measuring is metadata of the run: nothing here
 * may fail the run, so an unexpected error (a store write) is dropped and the run summary shows
 * only what was recorded.
 */
export function qualityProbe(input: {
  readonly plan: QualityPlan;
  readonly runId: string;
  readonly cwd: string;
  readonly recorder: QualityRecorder;
  readonly onMeasured?: (measurements: readonly Measurement[]) => void;
}) {
  const taken: Measurement[] = [];
  const keep = async (measure: () => Promise<Measurement[]>) => {
    if (input.plan.deliverables.length === 0) return;
    try {
      const measurements = await measure();
      if (measurements.length === 0) return;
      await input.recorder.record(input.runId, measurements);
      taken.push(...measurements);
      input.onMeasured?.(measurements);
    } catch {
      // See above: the run goes on without these measurements.
    }
  };
  return {
    /** After a stage (or the build) ended; a stage that never ran measures nothing. */
    afterNode: (node: Pick<NodeResult, 'name' | 'status' | 'exitCode'>) =>
      node.status === 'succeeded' || node.status === 'failed'
        ? keep(() => measureStage(input.plan, { name: node.name, exitCode: node.exitCode }, input.cwd))
        : Promise.resolve(),
    atEnd: () => keep(() => measureDocumentation(input.plan, input.cwd)),
    measurements: (): readonly Measurement[] => taken,
  };
}
