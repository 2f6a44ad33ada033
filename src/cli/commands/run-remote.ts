import path from 'node:path';
import pc from 'picocolors';
import type { AndonChange } from '../../andon/index.js';
import type { ArtifactStore } from '../../artifacts/index.js';
import { roleAllows } from '../../auth/index.js';
import { EXIT_CODES, FlowlineError, isFlowlineError } from '../../core/errors.js';
import type { CommitHistory } from '../../core/git.js';
import type { NodeResult, RunObserver, RunReport, RunStart } from '../../pipeline/index.js';
import type { Measurement } from '../../quality/index.js';
import { remoteTarget } from '../backend/remote.js';
import { type RunRecordClient, runRecordClient } from '../backend/runs.js';
import type { CommandContext } from '../context.js';
import { printable } from '../output.js';
import { LogShipper } from './log-shipper.js';
import { executeRun, printReport, type RunInput, withLocal } from './run-local.js';

/**
 * `flowline run` against a server ("CI is a dumb trigger"): the pipeline executes on this
 * machine, as a local run does, with the store under `<FLOWLINE_HOME>/runner` as its scratch
 * space and cache; the server records it as it goes — the run, each stage, each stage's masked
 * log line by line as it grows, the artifact (uploaded, or downloaded instead of built when the server has one with the
 * same cache key) and the outcome, which moves the server's andon cord. The run keeps one id on
 * both sides, so `flowline logs <id>` against the server finds what this machine printed.
 */
export async function runRecorded(ctx: CommandContext, input: RunInput): Promise<number> {
  const serverUrl = ctx.settings.serverUrl ?? '';
  const target = remoteTarget(serverUrl, ctx.settings.token);
  // Refuse before running anything: a run the server cannot record would be wasted.
  const me = await (await ctx.backend()).whoami();
  if (!roleAllows(me.role, 'ci')) {
    throw new FlowlineError(
      'FLOWLINE_FORBIDDEN',
      `Recording runs on ${target.base} needs the ci role; ${me.actor.kind} ${me.actor.name} has the ${me.role} role.`,
      {
        hint: 'Give the CI job a token with the ci role (an admin creates one: flowline token create ci --role ci).',
      },
    );
  }
  const client = runRecordClient(target);
  // The token stays in the settings: the runner masks it in every log line.
  const scratch = { ...ctx.settings, serverUrl: undefined, home: path.join(ctx.settings.home, 'runner') };
  return (await withLocal(scratch, async (app) => {
    const cancel = new AbortController();
    const recorder = new RunRecorder(client, {
      local: app.artifacts,
      now: () => app.clock.now(),
      config: input.text,
      optional: Object.entries(input.config.stages)
        .filter(([, stage]) => stage.continueOnFailure)
        .map(([name]) => name),
      onError: (error) => {
        const what = isFlowlineError(error) ? `${error.code}: ${error.message}` : String(error);
        ctx.streams.stderr.write(
          `${pc.red(`recording the run on ${target.base} failed (${printable(what)}): cancelling it`)}\n`,
        );
        cancel.abort();
      },
    });
    let outcome: Awaited<ReturnType<typeof executeRun>>;
    try {
      outcome = await executeRun(ctx, app, input, {
        observer: recorder,
        shared: client.cache,
        cancel,
        knownCommits: (service) => client.knownCommits(service),
      });
    } catch (error) {
      await recorder.abandon().catch(() => undefined);
      throw error;
    }
    const { report, live } = outcome;
    const recorded = await recorder.settle().then(
      (andon) => ({ andon }),
      (error: unknown) => ({ error }),
    );
    await printReport(ctx, report, live, {
      server: { url: target.base, recorded: !('error' in recorded) },
    });
    if ('error' in recorded) throw recorded.error;
    if (!ctx.json) {
      const cord = recorded.andon?.changed
        ? `; its trunk is now ${printable(recorded.andon.status.state)}`
        : '';
      ctx.streams.stdout.write(
        pc.dim(`  recorded on ${target.base}${cord}: flowline logs ${report.runId} [stage]\n`),
      );
    }
    return report.status === 'succeeded' ? EXIT_CODES.ok : EXIT_CODES.failed;
  })) as number;
}

interface RecorderOptions {
  readonly local: ArtifactStore;
  /** The flowline.yaml text: the server seeds a new service's policy from it. */
  readonly config: string;
  readonly optional: readonly string[];
  readonly now: () => Date;
  /** Called once, with the first call that failed; later events are not sent. */
  readonly onError: (error: unknown) => void;
}

/** How often the runner says it is alive, whatever else it sends (the server reaps silent runs). */
const HEARTBEAT_MS = 30_000;

/**
 * Forwards a run's events to the server in order, one call at a time, without holding up the
 * run: events arrive synchronously and queue here. Log lines stream beside them (LogShipper);
 * a stage's final status waits for its log to be complete on the server. A heartbeat goes out
 * every 30 s so that a quiet stage is not taken for a killed job. After the first failure
 * nothing more is sent; `settle` reports it.
 */
class RunRecorder implements RunObserver {
  #queue: Promise<void> = Promise.resolve();
  #error: { value: unknown } | undefined;
  #run: RunStart | undefined;
  #shipper: LogShipper | undefined;
  #heartbeat: NodeJS.Timeout | undefined;
  #finished = false;
  #andon: AndonChange | null = null;
  readonly #logged = new Set<string>();

  constructor(
    private readonly client: RunRecordClient,
    private readonly options: RecorderOptions,
  ) {}

  started(run: RunStart): void {
    this.#run = run;
    const shipper = new LogShipper(this.client, run.runId, { onError: (error) => this.#fail(error) });
    this.#shipper = shipper;
    this.#enqueue(async () => {
      await this.client.start({
        id: run.runId,
        service: run.service,
        branch: run.branch,
        commit:
          run.commit === null
            ? null
            : { sha: run.commit.sha, authorTime: run.commit.authorTime, message: run.commit.message },
        where: run.where,
        startedAt: run.startedAt,
        nodes: run.nodes.map((node) => ({ name: node.name, kind: node.kind, needs: [...node.needs] })),
        only: run.only,
        config: this.options.config,
      });
      shipper.open();
      this.#heartbeat = setInterval(() => {
        // Transient failures are left to the next message; a refusal (a reaped run) stops the run.
        this.client.heartbeat(run.runId).catch((error: unknown) => {
          if (!isFlowlineError(error) || error.code !== 'FLOWLINE_SERVER_UNREACHABLE') this.#fail(error);
        });
      }, HEARTBEAT_MS);
      this.#heartbeat.unref();
    });
  }

  /**
   * Commit facts are metadata: a server that refuses or misses them does not stop the run, and
   * the deployments of its artifact then say their range is unknown.
   */
  history(history: CommitHistory): void {
    const run = this.#run;
    if (run === undefined) return;
    this.#queue = this.#queue.then(async () => {
      if (this.#error !== undefined) return;
      await this.client.recordHistory(run.runId, history).catch(() => undefined);
    });
  }

  /**
   * Quality measurements are metadata too: a server that refuses them does not stop the run; its
   * report then says the deliverable was not measured (no data).
   */
  quality(measurements: readonly Measurement[]): void {
    const run = this.#run;
    if (run === undefined) return;
    this.#queue = this.#queue.then(async () => {
      if (this.#error !== undefined) return;
      await this.client.recordQuality(run.runId, measurements).catch(() => undefined);
    });
  }

  logged(node: string, chunk: string): void {
    this.#shipper?.add(node, chunk);
  }

  status(node: NodeResult): void {
    const run = this.#run;
    if (run === undefined) return;
    // Its log is closed by now: the server gets the rest of it before the final status.
    if (node.status !== 'queued' && node.status !== 'running') this.#finishLog(node);
    this.#enqueue(async () => {
      await this.client.updateStage(run.runId, node.name, {
        status: node.status,
        ...(node.startedAt === null ? {} : { startedAt: node.startedAt }),
        ...(node.finishedAt === null ? {} : { finishedAt: node.finishedAt }),
        exitCode: node.exitCode,
        signal: node.signal,
        reason: node.reason,
      });
    });
  }

  finished(report: RunReport): void {
    this.#finished = true;
    for (const stage of report.stages) this.#finishLog(stage);
    this.#enqueue(async () => {
      const { artifact } = report;
      if (artifact !== null) {
        await this.client.pushArtifact(this.options.local, artifact.digest, {
          service: report.service,
          cacheKey: artifact.cacheKey,
          commitSha: report.commit?.sha ?? null,
        });
      }
      const done = await this.client.finish(report.runId, {
        status: report.status,
        finishedAt: report.finishedAt,
        artifact: artifact === null ? null : { digest: artifact.digest, cacheKey: artifact.cacheKey },
        only: report.only,
        optional: this.options.optional,
      });
      this.#andon = done.andon;
    });
  }

  /** The run stopped on an error before its end: record it as failed rather than leave it running. */
  async abandon(): Promise<void> {
    const run = this.#run;
    if (run === undefined || this.#finished) return;
    this.#enqueue(async () => {
      await this.client.finish(run.runId, {
        status: 'failed',
        finishedAt: this.options.now().toISOString(),
        artifact: null,
        only: run.only,
        optional: this.options.optional,
      });
    });
    await this.settle();
  }

  /** Waits for every queued call; throws the first failure. Resolves with the andon change, if any. */
  async settle(): Promise<AndonChange | null> {
    await this.#queue;
    clearInterval(this.#heartbeat);
    this.#shipper?.close();
    if (this.#error !== undefined) throw this.#error.value;
    return this.#andon;
  }

  #finishLog(node: NodeResult): void {
    const shipper = this.#shipper;
    if (shipper === undefined || this.#logged.has(node.name)) return;
    this.#logged.add(node.name);
    this.#enqueue(() => shipper.finish(node.name, node.logPath));
  }

  #enqueue(call: () => Promise<void>): void {
    this.#queue = this.#queue.then(async () => {
      if (this.#error !== undefined) return;
      try {
        await call();
      } catch (error) {
        this.#fail(error);
      }
    });
  }

  #fail(error: unknown): void {
    if (this.#error !== undefined) return;
    this.#error = { value: error };
    clearInterval(this.#heartbeat);
    this.#shipper?.close();
    this.options.onError(error);
  }
}
