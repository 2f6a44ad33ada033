import path from 'node:path';
import type { Kysely } from 'kysely';
import {
  type ArtifactRef,
  type ArtifactStore,
  findArtifactByCacheKey,
  readSealedConfig,
  SEALED_DIR,
} from '../artifacts/index.js';
import type { Catalog } from '../catalog/index.js';
import type { BuildConfig } from '../config/index.js';
import { FlowlineError, isFlowlineError } from '../core/errors.js';
import { counted } from '../core/plural.js';
import type { Database } from '../store/index.js';
import type { StageLog } from './logs.js';
import type { StepsOutcome } from './steps.js';
import type { RunArtifact, SharedArtifactCache } from './types.js';

export interface BuildOnceInput {
  readonly service: string;
  readonly build: BuildConfig;
  /** The flowline.yaml text of the run, sealed into the artifact: it fixes how the artifact runs. */
  readonly config: string;
  /** The repository root: inputs and `build.output` are relative to it. */
  readonly cwd: string;
  /** Values of the variables named in `build.env`. */
  readonly env: Readonly<Record<string, string | undefined>>;
  readonly commitSha: string | undefined;
  /** Build even when an artifact with the same cache key exists (`--no-cache`). */
  readonly noCache: boolean;
  /** Artifacts built on other machines, asked when the local store has none with the key. */
  readonly shared?: SharedArtifactCache;
  readonly artifacts: ArtifactStore;
  readonly catalog: Pick<Catalog, 'recordArtifact'>;
  readonly db: Kysely<Database>;
  readonly log: StageLog;
  /** Runs the build command. */
  readonly runCommand: () => Promise<StepsOutcome>;
}

/** How the build went: a node outcome plus the artifact (and the error, when Flowline's own step failed). */
export interface BuildOutcome extends StepsOutcome {
  readonly cached: boolean;
  readonly artifact?: RunArtifact;
  readonly error?: FlowlineError;
}

/**
 * Build once: hash the declared inputs; when the catalog knows an artifact of this service with
 * the same key and the store still has it, reuse it (`cached`). Otherwise run the build command,
 * bundle `build.output` into the store and record it. The artifact is recorded only after the
 * store has it whole, so a full disk or a crash never leaves a record of a half-written artifact.
 */
export async function buildOnce(input: BuildOnceInput): Promise<BuildOutcome> {
  const { build, log, artifacts } = input;
  try {
    const key = await artifacts.cacheKey({
      cwd: input.cwd,
      inputs: build.inputs,
      command: build.command ?? '',
      env: input.env,
    });
    log.write(`# cache key ${key.key} (${counted(key.files, 'input file')})`);
    if (!input.noCache) {
      const known = await findArtifactByCacheKey(input.db, input.service, key.key);
      const found = known === undefined ? undefined : await artifacts.get(known.id);
      if (known !== undefined && found !== undefined) {
        log.write(
          `# reusing artifact ${found.digest}, built ${known.createdAt}${known.commitSha ? ` at ${known.commitSha.slice(0, 12)}` : ''}`,
        );
        const ref = await sealedWith(input, found, key.key);
        return {
          status: 'succeeded',
          cached: true,
          exitCode: null,
          signal: null,
          reason: `cached: artifact ${shortDigest(ref.digest)} has the same inputs`,
          artifact: {
            digest: ref.digest,
            path: ref.path,
            cacheKey: key.key,
            sizeBytes: ref.sizeBytes,
            cached: true,
          },
        };
      }
      if (known !== undefined)
        log.write(`# artifact ${known.id} is recorded but no longer stored: building again`);
      const fetched = await fetchShared(input, key.key);
      if (fetched !== undefined) return fetched;
    }
    const ran = await input.runCommand();
    if (ran.status !== 'succeeded') return { ...ran, cached: false };
    const output = path.resolve(input.cwd, build.output);
    log.write(`# storing ${build.output} as an artifact, with the flowline.yaml it was built by`);
    const ref = await artifacts.put(output, { exclude: build.exclude, config: input.config });
    await input.catalog.recordArtifact({
      id: ref.digest,
      service: input.service,
      cacheKey: key.key,
      sizeBytes: ref.sizeBytes,
      ...(input.commitSha === undefined ? {} : { commitSha: input.commitSha }),
    });
    log.write(`# artifact ${ref.digest} (${counted(ref.files, 'file')}, ${counted(ref.sizeBytes, 'byte')})`);
    return {
      ...ran,
      cached: false,
      artifact: {
        digest: ref.digest,
        path: ref.path,
        cacheKey: key.key,
        sizeBytes: ref.sizeBytes,
        cached: false,
      },
    };
  } catch (error) {
    const flowline = isFlowlineError(error)
      ? error
      : new FlowlineError('FLOWLINE_INTERNAL', `The build failed unexpectedly: ${String(error)}`, {
          cause: error,
        });
    log.write(`! ${flowline.code}: ${flowline.message}`);
    if (flowline.hint !== undefined) log.write(`! hint: ${flowline.hint}`);
    return {
      status: 'failed',
      cached: false,
      exitCode: null,
      signal: null,
      reason: flowline.message,
      error: flowline,
    };
  }
}

/**
 * Build once across machines: an artifact with the same key built elsewhere is copied into the
 * local store, recorded here and reused. Any problem getting it (the server unreachable, a
 * transfer refused for a wrong digest) is logged and the build runs here instead: a local build
 * is always a correct answer, only a slower one.
 */
async function fetchShared(input: BuildOnceInput, cacheKey: string): Promise<BuildOutcome | undefined> {
  const { shared, log } = input;
  if (shared === undefined) return undefined;
  let found: Awaited<ReturnType<SharedArtifactCache['fetch']>>;
  try {
    found = await shared.fetch(input.service, cacheKey, input.artifacts);
  } catch (error) {
    const why = isFlowlineError(error) ? `${error.code}: ${error.message}` : String(error);
    log.write(`# could not reuse the artifact of ${shared.name} (${why}): building here`);
    return undefined;
  }
  if (found === undefined) return undefined;
  await input.catalog.recordArtifact({
    id: found.ref.digest,
    service: input.service,
    cacheKey,
    sizeBytes: found.ref.sizeBytes,
    ...(found.commitSha === null ? {} : { commitSha: found.commitSha }),
  });
  log.write(
    `# reusing artifact ${found.ref.digest} from ${shared.name}, built ${found.createdAt}${found.commitSha ? ` at ${found.commitSha.slice(0, 12)}` : ''}`,
  );
  const ref = await sealedWith(input, found.ref, cacheKey);
  return {
    status: 'succeeded',
    cached: true,
    exitCode: null,
    signal: null,
    reason: `cached: artifact ${shortDigest(ref.digest)} from ${shared.name} has the same inputs`,
    artifact: { digest: ref.digest, path: ref.path, cacheKey, sizeBytes: ref.sizeBytes, cached: true },
  };
}

/**
 * The reused build output sealed with this run's flowline.yaml: `ref` itself when it carries that
 * text already; otherwise a new artifact of the same files and this config (a config change
 * alone never runs the build again, and never changes what an existing artifact runs).
 */
async function sealedWith(input: BuildOnceInput, ref: ArtifactRef, cacheKey: string): Promise<ArtifactRef> {
  if ((await readSealedConfig(ref.path)) === input.config) return ref;
  input.log.write('# flowline.yaml differs from the one sealed in it: sealing the same files with this one');
  const sealed = await input.artifacts.put(ref.path, { exclude: [SEALED_DIR], config: input.config });
  await input.catalog.recordArtifact({
    id: sealed.digest,
    service: input.service,
    cacheKey,
    sizeBytes: sealed.sizeBytes,
    ...(input.commitSha === undefined ? {} : { commitSha: input.commitSha }),
  });
  input.log.write(
    `# artifact ${sealed.digest} (${counted(sealed.files, 'file')}, ${counted(sealed.sizeBytes, 'byte')})`,
  );
  return sealed;
}

/** `sha256:0123456789ab`: a digest short enough for a status line. */
export function shortDigest(digest: string): string {
  return digest.slice(0, 'sha256:'.length + 12);
}
