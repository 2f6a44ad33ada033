/**
 * Reads an Unleash export into the shape unleash-client evaluates (the client API response):
 * either it already is one (`features[].strategies`), or it is the client API's delta form
 * (`events`: hydration, feature and segment updates and removals, applied in order as
 * unleash-client applies them), or an admin feature export (`features`, `featureStrategies`,
 * `featureEnvironments`, `dependencies`, `segments`) for one environment, which the Unleash server
 * would turn into that shape.
 */

export interface UnleashVariant {
  readonly name: string;
  readonly weight: number;
  readonly stickiness?: string;
  readonly payload?: unknown;
  readonly overrides: readonly { readonly contextName: string; readonly values: readonly string[] }[];
}

export interface ClientStrategy {
  readonly name: string;
  readonly parameters: Readonly<Record<string, unknown>>;
  readonly constraints: readonly unknown[];
  readonly segments: readonly number[];
  readonly variants: readonly UnleashVariant[];
}

export interface ClientFeature {
  readonly name: string;
  readonly description?: string;
  readonly enabled: boolean;
  readonly strategies: readonly ClientStrategy[];
  readonly variants: readonly UnleashVariant[];
  readonly dependencies: readonly {
    readonly feature: string;
    readonly enabled?: boolean;
    readonly variants: readonly string[];
  }[];
}

export interface ClientFeatures {
  readonly features: readonly ClientFeature[];
  readonly segments: readonly { readonly id: number; readonly constraints: readonly unknown[] }[];
}

type Rec = Record<string, unknown>;

const rec = (value: unknown): Rec =>
  typeof value === 'object' && value !== null && !Array.isArray(value) ? (value as Rec) : {};
const list = (value: unknown): unknown[] => (Array.isArray(value) ? value : []);
const text = (value: unknown): string | undefined =>
  typeof value === 'string' && value !== '' ? value : undefined;

/** The client shape, or a message saying why the document is not an Unleash export. */
export function toClientFeatures(
  document: unknown,
  environment: string | undefined,
): ClientFeatures | string {
  const root = rec(document);
  // unleash-client's parseApiResponse: `events` makes it a delta, whatever else is there.
  if (Array.isArray(root.events)) return fromDelta(root.events);
  if (!Array.isArray(root.features))
    return 'an Unleash export has a `features` list (or `events`, the client API delta form)';
  const segments = list(root.segments).flatMap((raw) => {
    const segment = rec(raw);
    return typeof segment.id === 'number' ? [{ id: segment.id, constraints: list(segment.constraints) }] : [];
  });
  if (!('featureStrategies' in root) && !('featureEnvironments' in root)) {
    return { features: root.features.map((raw) => clientFeature(rec(raw))), segments };
  }
  const environments = new Set(
    list(root.featureEnvironments)
      .map((raw) => rec(raw).environment)
      .filter((e) => typeof e === 'string'),
  );
  if (environment === undefined && environments.size > 1) {
    return `the export holds several environments (${[...environments].join(', ')}); pick one`;
  }
  const inEnvironment = (raw: unknown): boolean => {
    const env = rec(raw).environment;
    return environment === undefined || env === undefined || env === environment;
  };
  const strategies = list(root.featureStrategies)
    .filter(inEnvironment)
    .map(rec)
    .filter((s) => s.disabled !== true);
  const featureEnvironments = list(root.featureEnvironments).filter(inEnvironment).map(rec);
  const dependencies = new Map(
    list(root.dependencies).map((raw) => [rec(raw).feature, list(rec(raw).dependencies)]),
  );
  const features = root.features.map((raw) => {
    const feature = rec(raw);
    const name = String(feature.name);
    const env = featureEnvironments.find((e) => e.featureName === name);
    const own = strategies
      .filter((s) => s.featureName === name)
      .sort((a, b) => Number(a.sortOrder ?? 0) - Number(b.sortOrder ?? 0));
    return clientFeature({
      name,
      description: feature.description,
      enabled: env?.enabled === true,
      strategies: own,
      variants: env?.variants ?? feature.variants,
      dependencies: dependencies.get(name) ?? [],
    });
  });
  return { features, segments };
}

/** Applies delta events from an empty state, as unleash-client's repository does. */
function fromDelta(events: readonly unknown[]): ClientFeatures {
  let features = new Map<string, Rec>();
  let segments = new Map<number, Rec>();
  for (const raw of events) {
    const event = rec(raw);
    switch (event.type) {
      case 'hydration':
        features = new Map(list(event.features).map((f) => [String(rec(f).name), rec(f)]));
        segments = new Map(list(event.segments).map((s) => [Number(rec(s).id), rec(s)]));
        break;
      case 'feature-updated':
        features.set(String(rec(event.feature).name), rec(event.feature));
        break;
      case 'feature-removed':
        features.delete(String(event.featureName));
        break;
      case 'segment-updated':
        segments.set(Number(rec(event.segment).id), rec(event.segment));
        break;
      case 'segment-removed':
        segments.delete(Number(event.segmentId));
        break;
      default: // unleash-client warns and goes on
    }
  }
  return {
    features: [...features.values()].map(clientFeature),
    segments: [...segments.values()].flatMap((segment) =>
      typeof segment.id === 'number' ? [{ id: segment.id, constraints: list(segment.constraints) }] : [],
    ),
  };
}

function clientFeature(raw: Rec): ClientFeature {
  const description = text(raw.description);
  return {
    name: String(raw.name),
    ...(description === undefined ? {} : { description }),
    enabled: raw.enabled === true,
    strategies: list(raw.strategies).map((item) => {
      const strategy = rec(item);
      return {
        name: String(strategy.name),
        parameters: rec(strategy.parameters),
        constraints: list(strategy.constraints),
        segments: list(strategy.segments).filter((id): id is number => typeof id === 'number'),
        variants: list(strategy.variants).map(variant),
      };
    }),
    variants: list(raw.variants).map(variant),
    dependencies: list(raw.dependencies).map((item) => {
      const dependency = rec(item);
      return {
        feature: String(dependency.feature),
        ...(typeof dependency.enabled === 'boolean' ? { enabled: dependency.enabled } : {}),
        variants: list(dependency.variants).filter((v): v is string => typeof v === 'string'),
      };
    }),
  };
}

function variant(raw: unknown): UnleashVariant {
  const v = rec(raw);
  const stickiness = text(v.stickiness);
  return {
    name: String(v.name),
    weight: typeof v.weight === 'number' && Number.isInteger(v.weight) && v.weight > 0 ? v.weight : 0,
    ...(stickiness === undefined ? {} : { stickiness }),
    ...(v.payload === undefined ? {} : { payload: v.payload }),
    overrides: list(v.overrides).map((item) => {
      const o = rec(item);
      return {
        contextName: String(o.contextName),
        values: list(o.values).filter((x): x is string => typeof x === 'string'),
      };
    }),
  };
}
