import type { OPERATORS } from '../flags/engine/index.js';
import type { AqlCondition, QualityMethod } from './aql.js';
import type { FLAG_TYPES } from './schema-flags.js';
import type { ROUTER_SIGNALS } from './schema-release.js';

/**
 * The normalized flowline.yaml that the other parts consume: every default applied, durations in
 * milliseconds, references checked, "one of" shapes turned into unions tagged by `kind`.
 * docs/config.md explains each field; the JSON Schema carries the same text for editors.
 * Records keep the order of the file.
 */
export interface FlowlineConfig {
  readonly version: 1;
  readonly service: string;
  readonly build: BuildConfig;
  readonly stages: Readonly<Record<string, Stage>>;
  /** Steps that always run after the stages, even when one failed or the run was cancelled. */
  readonly finally: readonly Step[];
  readonly pipeline: PipelineOptions;
  /** Names of secrets; their values come from the environment or the secret store. */
  readonly secrets: readonly string[];
  /** How to run the artifact; absent for a service that is built and tested but not deployed. */
  readonly run?: RunConfig | undefined;
  readonly environments: Readonly<Record<string, Environment>>;
  readonly analysis: { readonly templates: Readonly<Record<string, AnalysisTemplate>> };
  readonly segments: Readonly<Record<string, Segment>>;
  readonly flags: Readonly<Record<string, Flag>>;
  readonly quality: QualityPlan;
}

/** Milliseconds. */
export type Millis = number;
export type EnvVars = Readonly<Record<string, string>>;

export interface BuildConfig {
  readonly command?: string | undefined;
  readonly inputs: readonly string[];
  /** Names of environment variables hashed into the cache key. */
  readonly env: readonly string[];
  readonly output: string;
  readonly exclude: readonly string[];
  readonly timeout: Millis;
  readonly image?: string | undefined;
}

export interface Step {
  /** The `name` written, else the command. */
  readonly name: string;
  readonly run: string;
  readonly timeout?: Millis | undefined;
  readonly env: EnvVars;
  readonly workdir?: string | undefined;
}

export interface Stage {
  readonly name: string;
  /** Stage names, or `build`; `[build]` unless written. */
  readonly needs: readonly string[];
  readonly steps: readonly Step[];
  readonly timeout: Millis;
  readonly continueOnFailure: boolean;
  readonly env: EnvVars;
  readonly image?: string | undefined;
}

export interface PipelineOptions {
  readonly trunk: string;
  readonly cancelOnFailure: boolean;
  readonly andon: boolean;
  readonly maxParallel?: number | undefined;
  readonly deploy: { readonly trunk: readonly string[]; readonly pullRequests: readonly string[] };
}

export interface RunConfig {
  readonly command: string;
  readonly port: { readonly env: string };
  readonly instances: number;
  readonly env: EnvVars;
  readonly health: HealthCheck;
  readonly smoke: readonly SmokeCheck[];
  readonly shutdown: { readonly signal: 'SIGTERM' | 'SIGINT'; readonly gracePeriod: Millis };
  readonly workdir?: string | undefined;
}

export interface HealthCheck {
  /** Without a path, an open port counts as healthy. */
  readonly path?: string | undefined;
  readonly interval: Millis;
  readonly timeout: Millis;
  readonly startPeriod: Millis;
  readonly successThreshold: number;
  readonly failureThreshold: number;
}

export interface SmokeCheck {
  readonly name: string;
  readonly path: string;
  readonly method: 'GET' | 'HEAD' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';
  readonly headers: Readonly<Record<string, string>>;
  readonly body?: string | undefined;
  readonly expectStatus: number;
  readonly expectBody?:
    | {
        readonly contains?: string | undefined;
        readonly jsonPath?: string | undefined;
        readonly equals?: string | number | boolean | null | undefined;
      }
    | undefined;
  readonly timeout: Millis;
}

export interface Environment {
  readonly name: string;
  readonly description?: string | undefined;
  readonly ephemeral: boolean;
  readonly ttl?: Millis | undefined;
  readonly protected: boolean;
  /** The environment where the same artifact must have succeeded first. */
  readonly after?: string | undefined;
  /** `instances` of the environment, else `run.instances`, else 1. */
  readonly instances: number;
  /** `run.env` overlaid with the environment's `env`. */
  readonly env: EnvVars;
  /** Unset: the router serves `<environment>.<service>.localhost` (`pr-<n>` for ephemeral ones). */
  readonly host?: string | undefined;
  readonly strategy: Strategy;
  readonly autoRollback: boolean;
  readonly progressDeadline: Millis;
  /** Only local processes for now: `kubernetes` is refused by the parser until it is built. */
  readonly runtime: { readonly driver: 'process' };
}

export type Strategy = { readonly kind: 'allAtOnce' } | BlueGreenStrategy | CanaryStrategy;

/** Names of analysis templates to run together. */
export interface AnalysisRef {
  readonly templates: readonly string[];
}

export interface BlueGreenStrategy {
  readonly kind: 'blueGreen';
  readonly autoPromotionEnabled: boolean;
  readonly autoPromotionDelay?: Millis | undefined;
  readonly previewInstances?: number | undefined;
  readonly prePromotionAnalysis?: AnalysisRef | undefined;
  readonly postPromotionAnalysis?: AnalysisRef | undefined;
  readonly scaleDownDelay: Millis;
}

export interface CanaryStrategy {
  readonly kind: 'canary';
  readonly steps: readonly CanaryStep[];
  readonly trafficRouting: {
    readonly header?: { readonly name: string; readonly value: string } | undefined;
    readonly cookie?: { readonly name: string; readonly value: string } | undefined;
    readonly sticky: boolean;
  };
  /** Background analysis from step `startingStep` on. */
  readonly analysis?: (AnalysisRef & { readonly startingStep: number }) | undefined;
  /**
   * What `judge` metrics compare the canary with: a fresh instance of the stable revision beside
   * it (`fresh`, the default; also when unset, as in plans recorded before it existed), or the
   * running stable instances (`stable`). See src/deploy/baseline.ts.
   */
  readonly baseline?: 'fresh' | 'stable' | undefined;
}

export type CanaryStep =
  | { readonly kind: 'setWeight'; readonly weight: number }
  /** Without a duration: until promoted. */
  | { readonly kind: 'pause'; readonly duration?: Millis | undefined }
  | ({ readonly kind: 'analysis' } & AnalysisRef)
  | {
      readonly kind: 'setCanaryScale';
      readonly instances?: number | undefined;
      readonly weight?: number | undefined;
      readonly matchTrafficWeight?: boolean | undefined;
    };

export interface AnalysisTemplate {
  readonly name: string;
  readonly description?: string | undefined;
  readonly metrics: readonly Metric[];
}

export interface Metric {
  readonly name: string;
  readonly interval?: Millis | undefined;
  /** 1 without an interval; unset with an interval and no count: measure until the release ends. */
  readonly count?: number | undefined;
  readonly initialDelay: Millis;
  readonly successCondition?: string | undefined;
  readonly failureCondition?: string | undefined;
  readonly failureLimit: number;
  readonly inconclusiveLimit: number;
  readonly consecutiveErrorLimit: number;
  /** How long a measurement without (enough) data is retried before it counts as Inconclusive. */
  readonly sampleTimeout: Millis;
  readonly provider: Provider;
}

export type RouterSignal = (typeof ROUTER_SIGNALS)[number];

export type Provider =
  | {
      readonly kind: 'router';
      readonly signal: RouterSignal;
      readonly window: Millis;
      /** Fewest requests in the window before the signal is judged; unset: 20 (0 for `requestRate`). */
      readonly minSamples?: number | undefined;
    }
  | {
      readonly kind: 'prometheus';
      readonly address: string;
      readonly query: string;
      readonly timeout: Millis;
      readonly headers: Readonly<Record<string, string>>;
    }
  | {
      readonly kind: 'web';
      readonly url: string;
      readonly method: 'GET' | 'POST';
      readonly headers: Readonly<Record<string, string>>;
      readonly body?: string | undefined;
      readonly jsonPath?: string | undefined;
      readonly timeout: Millis;
    }
  | {
      readonly kind: 'business';
      readonly metric: string;
      readonly aggregate: 'avg' | 'sum' | 'min' | 'max' | 'count' | 'rate';
      readonly window: Millis;
    }
  | {
      readonly kind: 'judge';
      readonly signal: RouterSignal;
      readonly test: 'mannWhitney';
      /**
       * Relative degradation accepted; unset: the judge's default, by baseline kind and signal
       * (DEFAULT_TOLERANCE in src/analysis/providers/router.ts).
       */
      readonly tolerance?: number | undefined;
      readonly confidence: number;
      /**
       * Absolute floor on the change that can fail (ms, fraction, requests/s by signal); unset:
       * the judge's default for the signal.
       */
      readonly minDifference?: number | undefined;
      readonly direction: 'increase' | 'decrease' | 'either';
      readonly window: Millis;
      /**
       * Fewest samples on each side before the judge speaks (latencies; requests for `errorRate`;
       * intervals for `requestRate`); unset: the judge's default (judgeMinSamples in
       * src/analysis/providers/router.ts).
       */
      readonly minSamples?: number | undefined;
    };

export type Operator = (typeof OPERATORS)[number];
export type RuleValue = string | number | boolean;

export interface Condition {
  readonly attribute: string;
  readonly op: Operator;
  readonly values: readonly RuleValue[];
}

export interface Segment {
  readonly name: string;
  readonly description?: string | undefined;
  /** Targeting keys always in the segment. */
  readonly include: readonly string[];
  readonly rules: readonly Condition[];
  readonly match: 'all' | 'any';
}

export type FlagType = (typeof FLAG_TYPES)[number];
export type FlagValue =
  | boolean
  | string
  | number
  | null
  | readonly FlagValue[]
  | { readonly [key: string]: FlagValue };

export interface Rollout {
  readonly bucketBy: string;
  /** Percentages summing to 100. */
  readonly variants: Readonly<Record<string, number>>;
}

export type Serve =
  | { readonly kind: 'variant'; readonly variant: string }
  | { readonly kind: 'rollout'; readonly rollout: Rollout };

export interface FlagRule {
  readonly name?: string | undefined;
  readonly segment?: string | undefined;
  readonly condition?: Condition | undefined;
  readonly serve: Serve;
}

export interface FlagEnvironment {
  /** False: the kill switch is pulled, the flag's `defaultVariant` is served. */
  readonly enabled: boolean;
  readonly rules: readonly FlagRule[];
  /** Served when enabled and no rule matches. */
  readonly fallthrough: Serve;
  readonly schedule: readonly {
    readonly at: string;
    readonly enabled?: boolean | undefined;
    readonly rollout?: Rollout | undefined;
  }[];
  readonly killOnRollback: boolean;
}

export interface Flag {
  readonly key: string;
  readonly type: FlagType;
  readonly description?: string | undefined;
  readonly owner?: string | undefined;
  readonly temporary: boolean;
  /** ISO date (`2026-12-31`). */
  readonly expires?: string | undefined;
  readonly variants: Readonly<Record<string, FlagValue>>;
  /** Served when the flag is off, not configured for the environment, or a prerequisite fails. */
  readonly defaultVariant: string;
  readonly prerequisites: readonly { readonly flag: string; readonly variant: string }[];
  readonly environments: Readonly<Record<string, FlagEnvironment>>;
}

/** The quality plan (QASP): deliverables with standard, AQL and method (docs/quality.md). */
export interface QualityPlan {
  readonly deliverables: readonly Deliverable[];
}

/**
 * One deliverable. The method's own fields are set only for the methods that take them
 * (rules-quality.ts): `stage`/`report`/`format` for report-reading methods, `environment` for
 * `dora` and `deployment` (defaults applied), `files` for `documentation`, `signedOffBy` for `manual`.
 */
export interface Deliverable {
  readonly id: string;
  readonly name: string;
  readonly standard: string;
  readonly method: QualityMethod;
  /** The AQL as written (free text for `manual`). */
  readonly aqlText: string;
  /** The parsed conditions, all of which must hold; empty for `manual`. */
  readonly conditions: readonly AqlCondition[];
  readonly stage?: string | undefined;
  readonly report?: string | undefined;
  readonly format?: string | undefined;
  readonly environment?: string | undefined;
  readonly files?: readonly string[] | undefined;
  readonly signedOffBy?: string | undefined;
}
