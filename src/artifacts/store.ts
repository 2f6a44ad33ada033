import { readdir, readFile, stat, writeFile } from 'node:fs/promises';
import path from 'node:path';
import type { Clock } from '../core/clock.js';
import { FlowlineError } from '../core/errors.js';
import { computeCacheKey } from './cache-key.js';
import {
  ignoreMissing,
  layoutOf,
  locked,
  manifestFile,
  newTmpDir,
  objectDir,
  recover,
  removeTree,
  uncommit,
} from './layout.js';
import { hexOf, type Manifest, parseManifest, serializeManifest, sha256Hex, totals } from './manifest.js';
import { withSealedConfig } from './sealed.js';
import { commit, makeDurable, stage } from './stage.js';
import { packArtifact, receiveArtifact } from './transfer.js';
import type { ArtifactRef, ArtifactStore, GcResult } from './types.js';
import { checkTree } from './verify.js';
import { scanFolder } from './walk.js';

export interface ArtifactStoreDeps {
  /** `<home>/artifacts`. Created on first use. */
  readonly root: string;
  /** Stamps commits and re-puts (manifest mtime), which the gc grace period is measured against. */
  readonly clock: Clock;
}

const DEFAULT_GRACE_MS = 3_600_000;
const DEFAULT_MAX_RECEIVE_BYTES = 4_000_000_000;

/**
 * The local, content-addressed artifact store (see {@link ArtifactStore} and layout.ts).
 * Nothing touches the disk until the first call, so commands that never use artifacts pay
 * nothing; that first call also recovers from a crash (abandoned staging folders, half commits).
 */
export function createArtifactStore(deps: ArtifactStoreDeps): ArtifactStore {
  const layout = layoutOf(path.resolve(deps.root));
  const { clock } = deps;
  let opened: Promise<void> | undefined;
  const ready = () => {
    opened ??= recover(layout).catch((error: unknown) => {
      opened = undefined; // let the next call try again
      throw error;
    });
    return opened;
  };

  const readRef = async (hex: string): Promise<{ ref: ArtifactRef; manifest: Manifest } | undefined> => {
    const file = manifestFile(layout, hex);
    const text = await readFile(file, 'utf8').catch((error: unknown) => ignoreMissing(error));
    if (text === undefined) return undefined;
    const manifest = parseManifest(text, file);
    return { ref: { digest: `sha256:${hex}`, ...totals(manifest), path: objectDir(layout, hex) }, manifest };
  };

  const get = async (digest: string) => {
    const hex = hexOf(digest);
    if (hex === undefined) return undefined;
    await ready();
    return (await readRef(hex))?.ref;
  };

  /** Hex digests of committed artifacts (those with a manifest), sorted. */
  const committed = async () => {
    await ready();
    const hexes: string[] = [];
    for (const name of (await readdir(layout.objects)).sort()) {
      const hex = /^([0-9a-f]{64})\.manifest\.json$/.exec(name)?.[1];
      if (hex !== undefined) hexes.push(hex);
    }
    return hexes;
  };

  /** Size of an artifact for gc's report; a damaged manifest must not stop gc from removing it. */
  const sizeOf = async (hex: string) => (await readRef(hex).catch(() => undefined))?.ref.sizeBytes ?? 0;

  const list = async () => {
    const refs: ArtifactRef[] = [];
    for (const hex of await committed()) {
      // A damaged manifest is skipped here; `verify` of that digest reports it.
      const found = await readRef(hex).catch(() => undefined);
      if (found !== undefined) refs.push(found.ref);
    }
    return refs;
  };

  return {
    root: layout.root,
    cacheKey: (input) => computeCacheKey(input),
    get,
    list,

    async put(folder, options = {}) {
      await ready();
      const source = path.resolve(folder);
      const { entries, totalBytes } = await scanFolder(source, {
        ...(options.exclude === undefined ? {} : { exclude: options.exclude }),
        skip: [layout.root],
      });
      if (entries.length === 0) {
        throw new FlowlineError(
          'FLOWLINE_BUILD_OUTPUT_MISSING',
          `The folder to bundle, ${source}, has no files.`,
          {
            hint: 'Check that the build writes into `build.output`, and that `build.exclude` does not leave out everything.',
          },
        );
      }
      let staging: string | undefined;
      let copied = 0;
      try {
        staging = await newTmpDir(layout);
        const bundled =
          options.config === undefined ? entries : await withSealedConfig(entries, options.config, staging);
        const staged = await stage(staging, bundled, (n) => {
          copied += n;
          options.onProgress?.(copied, totalBytes);
        });
        const text = serializeManifest(staged.manifest);
        const hex = sha256Hex(text);
        await writeFile(path.join(staging, 'manifest.json'), text, { mode: 0o444, flush: true });
        // Identical content already stored: the copy is thrown away, so skip its fsyncs.
        let durable = false;
        if ((await stat(manifestFile(layout, hex)).catch(() => undefined)) === undefined) {
          await makeDurable(staged);
          durable = true;
        }
        const commitNow = (synced: boolean) =>
          locked(layout, () => commit(layout, hex, staged.root, clock.now(), synced));
        if ((await commitNow(durable)) === 'needs-sync') {
          // gc removed the stored copy in between: ours must be made durable after all.
          await makeDurable(staged);
          await commitNow(true);
        }
        const stored = await readRef(hex);
        if (stored === undefined) throw new Error(`artifact ${hex} vanished right after its commit`);
        return stored.ref;
      } catch (error) {
        throw diskFull(error, source, copied, totalBytes, layout.root) ?? error;
      } finally {
        if (staging !== undefined) await removeTree(staging);
      }
    },

    async verify(digest) {
      const hex = hexOf(digest);
      await ready();
      const found = hex === undefined ? undefined : await readRef(hex);
      if (hex === undefined || found === undefined) {
        throw new FlowlineError(
          'FLOWLINE_ARTIFACT_NOT_FOUND',
          `No stored artifact has the digest ${digest}.`,
          {
            hint: 'A digest reads sha256:<64 hex>; list artifacts with `flowline artifacts`.',
          },
        );
      }
      const text = await readFile(manifestFile(layout, hex), 'utf8');
      if (sha256Hex(text) !== hex) {
        throw new FlowlineError(
          'FLOWLINE_ARTIFACT_CORRUPT',
          `The manifest of ${digest} was altered: it no longer hashes to its digest.`,
          {
            hint: 'Do not deploy this artifact; rebuild it with the pipeline.',
          },
        );
      }
      await checkTree(found.ref.path, found.manifest, digest);
      return found.ref;
    },

    async receive(digest, source, options = {}) {
      const hex = hexOf(digest);
      if (hex === undefined) {
        source.resume();
        throw new FlowlineError('FLOWLINE_USAGE', `\`${digest}\` is not an artifact digest.`, {
          hint: 'A digest reads sha256:<64 hex>.',
        });
      }
      await ready();
      const existing = await readRef(hex);
      if (existing !== undefined) {
        source.resume(); // already here: nothing to write, the bytes are thrown away
        return { ref: existing.ref, received: false };
      }
      let staging: string | undefined;
      try {
        staging = await newTmpDir(layout);
        const staged = await receiveArtifact(
          source,
          staging,
          hex,
          options.maxBytes ?? DEFAULT_MAX_RECEIVE_BYTES,
        );
        await writeFile(path.join(staging, 'manifest.json'), serializeManifest(staged.manifest), {
          mode: 0o444,
          flush: true,
        });
        await makeDurable(staged);
        await locked(layout, () => commit(layout, hex, staged.root, clock.now(), true));
        const stored = await readRef(hex);
        if (stored === undefined) throw new Error(`artifact ${hex} vanished right after its commit`);
        return { ref: stored.ref, received: true };
      } catch (error) {
        source.destroy();
        throw diskFull(error, `the upload of ${digest}`, 0, 0, layout.root) ?? error;
      } finally {
        if (staging !== undefined) await removeTree(staging);
      }
    },

    async pack(digest) {
      const hex = hexOf(digest);
      await ready();
      const found = hex === undefined ? undefined : await readRef(hex);
      if (found === undefined) {
        throw new FlowlineError(
          'FLOWLINE_ARTIFACT_NOT_FOUND',
          `No stored artifact has the digest ${digest}.`,
          {
            hint: 'A digest reads sha256:<64 hex>; list artifacts with `flowline artifacts`.',
          },
        );
      }
      return packArtifact(found.ref.path, found.manifest);
    },

    async gc(keep, options = {}): Promise<GcResult> {
      const graceMs = options.graceMs ?? DEFAULT_GRACE_MS;
      const removed: string[] = [];
      let freedBytes = 0;
      const isRecent = async (hex: string) => {
        const info = await stat(manifestFile(layout, hex)).catch(() => undefined);
        return info === undefined || clock.now().getTime() - info.mtimeMs < graceMs;
      };
      for (const hex of await committed()) {
        const digest = `sha256:${hex}`;
        if ((await isRecent(hex)) || (await keep(digest))) continue;
        const size = await sizeOf(hex);
        if (options.dryRun === true) {
          removed.push(digest);
          freedBytes += size;
          continue;
        }
        // Checked again under the lock: a put may have just reused it (and refreshed its mtime).
        const trash = await locked(layout, async () =>
          (await isRecent(hex)) ? undefined : uncommit(layout, hex),
        );
        if (trash === undefined) continue;
        await removeTree(trash);
        removed.push(digest);
        freedBytes += size;
      }
      return { removed, freedBytes };
    },
  };
}

/** ENOSPC/EDQUOT anywhere in a put becomes one clear error (after the staging folder is gone). */
function diskFull(
  error: unknown,
  source: string,
  copied: number,
  total: number,
  root: string,
): FlowlineError | undefined {
  const code = (error as NodeJS.ErrnoException | undefined)?.code;
  if (code !== 'ENOSPC' && code !== 'EDQUOT') return undefined;
  const what = code === 'EDQUOT' ? 'The disk quota' : 'The disk';
  return new FlowlineError(
    'FLOWLINE_ARTIFACT_DISK_FULL',
    total === 0
      ? `${what} under ${root} is full: storing ${source} stopped; nothing was kept.`
      : `${what} under ${root} is full: storing ${source} (${mb(total)}) stopped after ${mb(copied)}; nothing was kept.`,
    { hint: 'Free space with `flowline artifacts gc`, or set FLOWLINE_HOME to a larger disk.', cause: error },
  );
}

function mb(bytes: number): string {
  return `${(bytes / 1_000_000).toFixed(1)} MB`;
}
