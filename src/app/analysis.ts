import {
  type BusinessMetricsSink,
  createProviders,
  describeMeasurement,
  type MeasurementRecord,
  type RouterSignalsSource,
  runAnalysis,
} from '../analysis/index.js';
import type { Clock } from '../core/clock.js';
import type { Analyze } from '../deploy/index.js';
import type { RouterControl } from '../router/index.js';

/**
 * The router as the analysis engine sees it: golden signals per revision, and samples for the
 * statistical judge (per-slot rates; latencies from the router's per-request reservoir).
 */
export function routerSignals(router: RouterControl): RouterSignalsSource {
  return {
    async signals(service, environment, revision, { windowMs }) {
      // An analysis that just began has an empty window: that is "no data", not an error.
      if (!(windowMs > 0)) return undefined;
      const s = await router.signals(service, environment, revision, windowMs);
      if (s.requests === 0) return undefined;
      return {
        requests: s.requests,
        ratePerSec: s.ratePerSec,
        errors: s.errors,
        errorRate: s.errorRate ?? 0,
        p50: s.p50 ?? 0,
        p95: s.p95 ?? 0,
        p99: s.p99 ?? 0,
        mean: s.mean ?? 0,
      };
    },
    async samples(service, environment, revision, { kind, windowMs }) {
      if (!(windowMs > 0)) return [];
      if (kind === 'latency') return router.latencySamples(service, environment, revision, windowMs);
      const series = await router.series(service, environment, revision, windowMs);
      return series
        .filter((slot) => slot.requests > 0)
        .map((slot) => (kind === 'errorRate' ? slot.errors / slot.requests : slot.ratePerSec));
    },
  };
}

/**
 * Builds the deploy controller's `analyze`: runs the named templates against the canary (or
 * green) revision with the built-in providers, handing each measurement to the release's
 * progress (shown live, journaled once as a measurement with its record), and saying when a
 * measurement waits for data.
 */
export function createAnalyze(deps: {
  router: RouterControl;
  business: BusinessMetricsSink;
  clock: Clock;
}): Analyze {
  const providers = createProviders({ router: routerSignals(deps.router), business: deps.business });
  return async ({ templates, rollout, signal, background, since, onProgress }) => {
    const missing = templates.filter((name) => rollout.analysisTemplates[name] === undefined);
    if (missing.length > 0)
      return {
        ok: false,
        reason: `${missing.length === 1 ? 'analysis template' : 'analysis templates'} ${missing.join(', ')} not defined`,
      };
    const chosen = templates.flatMap((name) => {
      const template = rollout.analysisTemplates[name];
      if (template === undefined) return [];
      // Background analysis measures until the release ends, whatever `count` says.
      return [
        background
          ? { ...template, metrics: template.metrics.map((m) => ({ ...m, count: undefined })) }
          : template,
      ];
    });
    const result = await runAnalysis(chosen, {
      target: {
        service: rollout.service,
        environment: rollout.environment,
        canaryRevision: rollout.revision,
        ...(rollout.stable === undefined ? {} : { baselineRevision: rollout.stable }),
        // A canary's fresh baseline, when it runs: what the judge compares with (src/deploy/baseline.ts).
        ...(rollout.baseline === undefined ? {} : { judgeBaselineRevision: rollout.baseline }),
        // Windows reach back to when the revision began to take traffic; one that takes none yet
        // (blue-green before its switch) is measured from now.
        canarySince: since ?? deps.clock.now(),
      },
      providers,
      clock: deps.clock,
      signal,
      // Shown live and journaled once, as a measurement with its record (see ReleaseProgress).
      onMeasurement: async (record: MeasurementRecord) => {
        const message = describeMeasurement(record);
        onProgress(`  ${message}`, { kind: 'measurement', message, data: record });
      },
      onWaiting: (notice) =>
        onProgress(`  ${notice.template}/${notice.metric} #${notice.index}: ${notice.message}`),
    });
    if (result.phase === 'Successful') return { ok: true };
    // Stopped by the release (promoted, aborted), the run is judged as it stands; the caller decides.
    return { ok: false, reason: result.message, inconclusive: result.phase === 'Inconclusive' };
  };
}
