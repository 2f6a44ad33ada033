import { timedDeployments } from './deployments.js';
import { type ChangeFailRate, changeFailRate } from './failures.js';
import { type DeploymentFrequency, deploymentFrequency } from './frequency.js';
import { type ChangeLeadTime, changeLeadTime, type LeadTimeOptions } from './lead-time.js';
import { type RecoveryTime, recoveryTime } from './recovery.js';
import { type ReworkRate, reworkRate } from './rework.js';
import type { CommitRecord, DeploymentRecord, IncidentRecord, Scope, Window } from './types.js';
import { windowMs } from './window.js';

/** What the five keys are computed from. */
export interface DoraInput {
  /**
   * The commits the scope's deployments reference (the store joins them by sha). Commits not
   * referenced are ignored here (see `workInProgress`).
   */
  readonly commits: readonly CommitRecord[];
  /**
   * The scope's deployments that finished in the window, plus: the deployment following the
   * window's last one (to see whether a rollback or a fix followed it), the next successful one
   * (to end a recovery), and earlier successful deployments that shipped the same commits
   * (so a commit shipped before the window is not counted again after a rollback). Records of
   * other services or environments may be passed; they are filtered out.
   */
  readonly deployments: readonly DeploymentRecord[];
  /** Incidents naming the scope's deployments as cause; others are ignored. */
  readonly incidents: readonly IncidentRecord[];
}

export interface DoraOptions extends LeadTimeOptions {
  /** The team's calendar for deployment days: minutes east of UTC; 0 by default. */
  readonly utcOffsetMinutes?: number;
}

export interface DoraReport {
  readonly scope: Scope;
  readonly window: { readonly from: string; readonly to: string };
  readonly deploymentFrequency: DeploymentFrequency;
  readonly changeLeadTime: ChangeLeadTime;
  readonly changeFailRate: ChangeFailRate;
  readonly recoveryTime: RecoveryTime;
  readonly reworkRate: ReworkRate;
}

/**
 * The five DORA keys of one service in one environment over a window. Pure: the same records
 * and window give the same report; deployments are parsed and sorted once and shared.
 */
export function computeDora(
  input: DoraInput,
  scope: Scope,
  window: Window,
  options: DoraOptions = {},
): DoraReport {
  const deployments = timedDeployments(input.deployments, scope);
  const range = windowMs(window);
  return {
    scope,
    window: { from: window.from.toISOString(), to: window.to.toISOString() },
    deploymentFrequency: deploymentFrequency(
      deployments,
      range,
      options.utcOffsetMinutes === undefined ? {} : { utcOffsetMinutes: options.utcOffsetMinutes },
    ),
    changeLeadTime: changeLeadTime(
      input.commits,
      deployments,
      range,
      options.commitTime === undefined ? {} : { commitTime: options.commitTime },
    ),
    changeFailRate: changeFailRate(deployments, input.incidents, range),
    recoveryTime: recoveryTime(deployments, input.incidents, range),
    reworkRate: reworkRate(deployments, range),
  };
}
