import type { Actor, Where } from '../audit/index.js';
import type { Role } from '../auth/index.js';

/** The state of a service's trunk. */
export type AndonState = 'green' | 'red';

/** What set the current state: a trunk run, a pull by hand, a release by an admin. */
export type AndonCause = 'run' | 'pull' | 'release';

/** A service's andon cord as `flowline andon status` shows it. */
export interface AndonStatus {
  readonly service: string;
  readonly state: AndonState;
  /** Null for a service whose cord was never touched (green from the start). */
  readonly cause: AndonCause | null;
  /** The trunk run that set the state, when a run did. */
  readonly runId: string | null;
  readonly reason: string | null;
  readonly actor: string | null;
  readonly since: string | null;
}

/** The outcome of a pull or release: the status after it, and whether anything changed. */
export interface AndonChange {
  readonly status: AndonStatus;
  readonly changed: boolean;
}

/** A finished trunk run, as the pipeline reports it. */
export interface TrunkRun {
  readonly service: string;
  readonly runId: string;
  readonly passed: boolean;
  /** One line on why it failed (`stage unit failed`), for the status and the deploy gate's message. */
  readonly detail?: string;
  readonly actor: Actor;
  readonly where: Where;
}

/** Who pulls or releases the cord by hand. */
export interface AndonActor {
  readonly actor: Actor;
  /** Releasing needs `admin`; embedded commands act as admin (the OS user owns the store). */
  readonly role: Role;
  readonly where: Where;
}

/**
 * The andon cord of each service's trunk: a failed trunk run stops the line (red), a later passing
 * trunk run restarts it (green). Anyone can pull the cord by hand; only an admin can release it,
 * with a reason. A cord pulled by hand stays red through passing runs until it is released.
 * Every transition is audited (`andon.red`, `andon.green`, `andon.pull`, `andon.release`).
 */
export interface Andon {
  status(service: string): Promise<AndonStatus>;
  /** Every service's cord, by service name. */
  list(): Promise<AndonStatus[]>;
  /**
   * The deploy gate: throws FLOWLINE_ANDON_RED, naming the failed run (or who pulled the cord)
   * and how to release it, while the service's trunk is red.
   */
  assertGreen(service: string): Promise<void>;
  /** Turns the trunk red by hand. */
  pull(service: string, reason: string, by: AndonActor): Promise<AndonChange>;
  /** Turns the trunk green by hand; throws FLOWLINE_FORBIDDEN without the admin role. */
  release(service: string, reason: string, by: AndonActor): Promise<AndonChange>;
  /** Records a finished full pipeline run on the trunk: red when it failed, green when it passed. */
  recordTrunkRun(run: TrunkRun): Promise<AndonChange>;
}
