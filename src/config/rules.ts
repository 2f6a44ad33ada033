import { checkAnalysisExpressions, type SourceText } from './rules-analysis.js';
import { checkFlags, checkSegments } from './rules-flags.js';
import { checkQuality } from './rules-quality.js';
import {
  arrowPath,
  checkDuplicates,
  type Findings,
  findCycles,
  type Known,
  keys,
  known,
  list,
  type Path,
  rec,
  text,
} from './rules-util.js';
import { NOT_SUPPORTED } from './schema-common.js';
import { didYouMean } from './suggest.js';

/**
 * The rules the schema cannot express: references between sections (a `needs` naming a stage,
 * an `after` naming an environment, a `templateName` naming a template), cycles, duplicates,
 * and combinations of fields. Warnings are for what is legal but probably a mistake.
 */
export function checkRules(data: unknown, source?: SourceText): Findings {
  const findings: Findings = { errors: [], warnings: [] };
  const root = rec(data);
  checkStages(findings, root);
  checkRun(findings, root);
  const usedTemplates = checkEnvironments(findings, root);
  checkAnalysis(findings, root, usedTemplates);
  checkAnalysisExpressions(findings, root, source);
  const usedSegments = checkFlags(findings, root);
  checkSegments(findings, root, usedSegments);
  checkDuplicates(findings, list(root.secrets).map(text), (index) => ['secrets', index], 'secret');
  checkQuality(findings, root);
  checkNotBuilt(findings, root);
  return findings;
}

/**
 * Sections whose schema is published but whose feature is not built yet: accepted, a file would
 * rely on something Flowline silently ignores, so they are refused until it is built.
 */
function checkNotBuilt(findings: Findings, root: Record<string, unknown>): void {
  if (rec(root.pipeline).deploy !== undefined) {
    findings.errors.push({
      code: NOT_SUPPORTED,
      message: '`pipeline.deploy` is not supported yet: `flowline run` deploys nothing by itself',
      path: ['pipeline', 'deploy'],
      at: 'key',
      hint: 'remove `pipeline.deploy` and deploy from CI after the run (`flowline deploy staging`)',
    });
  }
}

function checkStages(findings: Findings, root: Record<string, unknown>): void {
  const stages = rec(root.stages);
  const names = Object.keys(stages);
  const candidates = ['build', ...names];
  // Edges between stages only: `build` is the root, never part of a cycle.
  const needsOf = (name: string): string[] =>
    list(rec(stages[name]).needs).flatMap((need) =>
      typeof need === 'string' && need !== 'build' ? [need] : [],
    );
  if (Object.hasOwn(stages, 'build')) {
    findings.errors.push({
      code: 'reserved_name',
      message: '`build` is the name of the build itself and cannot name a stage',
      path: ['stages', 'build'],
      at: 'key',
      hint: 'rename the stage; stages that need the artifact list `needs: [build]`',
    });
  }
  for (const name of names) {
    list(rec(stages[name]).needs).forEach((need, index) => {
      if (typeof need !== 'string' || need === 'build' || Object.hasOwn(stages, need)) return;
      findings.errors.push({
        code: 'missing_stage',
        message: `stage \`${name}\` needs \`${need}\`, which is not defined`,
        path: ['stages', name, 'needs', index],
        hint: (budget) => didYouMean(need, candidates, 'defined stages', budget),
      });
    });
  }
  for (const cycle of findCycles(
    names.filter((name) => name !== 'build'),
    needsOf,
  )) {
    const from = cycle.at(-2) ?? '';
    const index = list(rec(stages[from]).needs).indexOf(cycle.at(-1));
    findings.errors.push({
      code: 'needs_cycle',
      message: `stages need each other in a cycle: ${arrowPath(cycle)}`,
      path: ['stages', from, 'needs', index],
      hint: 'remove one of these `needs` so the stages can run in an order',
    });
  }
  const deploy = rec(rec(root.pipeline).deploy);
  const environments = known(keys(root.environments));
  for (const trigger of ['trunk', 'pullRequests']) {
    list(deploy[trigger]).forEach((env, index) => {
      checkEnvironmentName(findings, env, environments, ['pipeline', 'deploy', trigger, index]);
    });
  }
}

function checkRun(findings: Findings, root: Record<string, unknown>): void {
  if (root.run === undefined && keys(root.environments).length > 0) {
    findings.errors.push({
      code: 'missing_run',
      message: 'environments are defined but `run` is missing, so Flowline cannot start the service',
      path: ['environments'],
      at: 'key',
      hint: 'add `run: { command: <start command> }`',
    });
  }
  const smoke = list(rec(root.run).smoke).map(rec);
  checkDuplicates(
    findings,
    smoke.map((check) => text(check.name) ?? `${text(check.method) ?? 'GET'} ${text(check.path) ?? ''}`),
    (index) => ['run', 'smoke', index],
    'smoke test',
  );
  smoke.forEach((check, index) => {
    const body = check.expectBody;
    if (body === undefined) return;
    const path: Path = ['run', 'smoke', index, 'expectBody'];
    const expect = rec(body);
    if (expect.contains === undefined && expect.jsonPath === undefined) {
      findings.errors.push({
        code: 'missing_one_of',
        message: '`expectBody` needs `contains` or `jsonPath`',
        path,
        hint: 'add `contains: <text>` or `jsonPath: $.field`',
      });
    }
    if ('equals' in expect && expect.jsonPath === undefined) {
      findings.errors.push({
        code: 'missing_key',
        message: '`equals` compares the value at `jsonPath`, which is missing',
        path: [...path, 'equals'],
        at: 'key',
        hint: 'add `jsonPath: $.field`',
      });
    }
  });
}

/** Checks environments and their strategies; returns the analysis templates they use. */
function checkEnvironments(findings: Findings, root: Record<string, unknown>): Set<string> {
  const environments = rec(root.environments);
  const names = Object.keys(environments);
  const knownNames = known(names);
  const templates = known(keys(rec(root.analysis).templates));
  const used = new Set<string>();
  const checkRefs = (ref: unknown, path: Path): void => {
    list(rec(ref).templates).forEach((item, index) => {
      const name = text(rec(item).templateName);
      if (name === undefined) return;
      used.add(name);
      if (templates.has(name)) return;
      findings.errors.push({
        code: 'missing_template',
        message: `analysis template \`${name}\` is not defined`,
        path: [...path, 'templates', index, 'templateName'],
        hint: (budget) =>
          `${didYouMean(name, templates.names, 'defined templates', budget)} (templates live under \`analysis.templates\`)`,
      });
    });
  };
  for (const [name, raw] of Object.entries(environments)) {
    const env = rec(raw);
    const path: Path = ['environments', name];
    if (env.after === name) {
      findings.errors.push({
        code: 'after_cycle',
        message: `environment \`${name}\` cannot come after itself`,
        path: [...path, 'after'],
        hint: 'name the environment the artifact must pass first, e.g. `after: staging`',
      });
    } else if (env.after !== undefined) {
      checkEnvironmentName(findings, env.after, knownNames, [...path, 'after']);
    }
    if (env.ttl !== undefined && env.ephemeral !== true) {
      findings.warnings.push({
        code: 'ttl_ignored',
        message: `\`ttl\` only applies to ephemeral environments; \`${name}\` is not ephemeral`,
        path: [...path, 'ttl'],
        at: 'key',
        hint: 'add `ephemeral: true` or remove `ttl`',
      });
    }
    const strategy = rec(env.strategy);
    const canary = rec(strategy.canary);
    const steps = list(canary.steps);
    steps.forEach((step, index) => {
      checkRefs(rec(step).analysis, [...path, 'strategy', 'canary', 'steps', index, 'analysis']);
    });
    checkRefs(canary.analysis, [...path, 'strategy', 'canary', 'analysis']);
    const startingStep = rec(canary.analysis).startingStep;
    if (typeof startingStep === 'number' && steps.length > 0 && startingStep >= steps.length) {
      findings.errors.push({
        code: 'out_of_range',
        message: `\`startingStep\` ${startingStep} is past the last step (index ${steps.length - 1})`,
        path: [...path, 'strategy', 'canary', 'analysis', 'startingStep'],
        hint: 'steps are counted from 0',
      });
    }
    const blueGreen = rec(strategy.blueGreen);
    checkRefs(blueGreen.prePromotionAnalysis, [...path, 'strategy', 'blueGreen', 'prePromotionAnalysis']);
    checkRefs(blueGreen.postPromotionAnalysis, [...path, 'strategy', 'blueGreen', 'postPromotionAnalysis']);
  }
  const cycles = findCycles(names, (name) => {
    const after = text(rec(environments[name]).after);
    return after === undefined || after === name ? [] : [after];
  });
  for (const cycle of cycles) {
    findings.errors.push({
      code: 'after_cycle',
      message: `environments come after each other in a cycle: ${arrowPath(cycle)}`,
      path: ['environments', cycle.at(-2) ?? '', 'after'],
      hint: 'environments form a line, e.g. staging, then production with `after: staging`',
    });
  }
  return used;
}

function checkEnvironmentName(findings: Findings, value: unknown, environments: Known, path: Path): void {
  const name = text(value);
  if (name === undefined || environments.has(name)) return;
  findings.errors.push({
    code: 'missing_environment',
    message: `environment \`${name}\` is not defined`,
    path,
    hint: (budget) => didYouMean(name, environments.names, 'defined environments', budget),
  });
}

function checkAnalysis(findings: Findings, root: Record<string, unknown>, used: Set<string>): void {
  for (const [name, raw] of Object.entries(rec(rec(root.analysis).templates))) {
    const metrics = list(rec(raw).metrics).map(rec);
    const path: Path = ['analysis', 'templates', name];
    checkDuplicates(
      findings,
      metrics.map((m) => text(m.name)),
      (index) => [...path, 'metrics', index, 'name'],
      'metric',
    );
    metrics.forEach((metric, index) => {
      const metricPath: Path = [...path, 'metrics', index];
      if (typeof metric.count === 'number' && metric.count > 1 && metric.interval === undefined) {
        findings.errors.push({
          code: 'missing_interval',
          message: `\`count: ${metric.count}\` needs an \`interval\` between the measurements`,
          path: [...metricPath, 'count'],
          at: 'key',
          hint: 'add `interval:`, e.g. `interval: 30s`',
        });
      }
      const judge = rec(metric.provider).judge !== undefined;
      if (!judge && metric.successCondition === undefined && metric.failureCondition === undefined) {
        findings.errors.push({
          code: 'missing_condition',
          message: `metric \`${text(metric.name) ?? index}\` has neither \`successCondition\` nor \`failureCondition\``,
          path: metricPath,
          hint: 'add e.g. `successCondition: result < 0.01`',
        });
      }
    });
    if (!used.has(name)) {
      findings.warnings.push({
        code: 'unused_template',
        message: `analysis template \`${name}\` is not used by any environment`,
        path,
        at: 'key',
        hint: 'reference it from a strategy (`templateName: <name>`) or remove it',
      });
    }
  }
}
