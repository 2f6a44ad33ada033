/**
 * The artifact store's contract. An artifact is an immutable, content-addressed bundle of a
 * build's output folder: its id is `sha256:<hex>` over a canonical manifest of every file's
 * path, mode and content hash. Promotion moves a reference to it; nothing is ever rebuilt.
 */

import type { Readable } from 'node:stream';

/** What a stored artifact is. */
export interface ArtifactRef {
  /** `sha256:<64 hex>`. */
  readonly digest: string;
  /** Total bytes of the files. */
  readonly sizeBytes: number;
  /** Regular files and symbolic links in the bundle. */
  readonly files: number;
  /** The read-only folder holding the files; the runtime runs the service from here. */
  readonly path: string;
}

/** What the build's cache key is computed from. */
export interface CacheKeyInput {
  /** The repo folder the globs are relative to. */
  readonly cwd: string;
  /**
   * Globs of input files (from `build.inputs`); each must match at least one file. A glob
   * starting with `!` leaves files out instead (and need not match anything).
   */
  readonly inputs: readonly string[];
  /** The build command, part of the key: a changed command is a different build. */
  readonly command: string;
  /** Names and values of the environment variables declared in `build.env` (unset: undefined). */
  readonly env: Readonly<Record<string, string | undefined>>;
}

export interface CacheKey {
  /** `sha256:<hex>` of everything in CacheKeyInput plus every lockfile found in cwd. */
  readonly key: string;
  /** How many files went into the key. */
  readonly files: number;
}

export interface PutOptions {
  /**
   * Globs (relative to the folder) left out of the bundle; a glob matching a folder leaves out
   * everything in it. `.git` and `.flowline` folders are always left out.
   */
  readonly exclude?: readonly string[];
  /** Called as bytes are copied, for progress displays. */
  readonly onProgress?: (copiedBytes: number, totalBytes: number) => void;
  /**
   * The flowline.yaml text the build used, sealed into the bundle at `.flowline-build/flowline.yaml`
   * (see sealed.ts); the folder may not hold a `.flowline-build` of its own.
   */
  readonly config?: string;
}

export interface ReceiveOptions {
  /** Largest archive accepted, in bytes (default 4 GB). */
  readonly maxBytes?: number;
}

export interface GcOptions {
  /** Report what would be removed without removing anything. */
  readonly dryRun?: boolean;
  /**
   * Artifacts stored or re-put less than this long ago are kept whatever `keep` says: a put
   * that just returned may not be recorded in the catalog yet. Default one hour.
   */
  readonly graceMs?: number;
}

export interface GcResult {
  /** Digests removed (or, with `dryRun`, that would be). */
  readonly removed: string[];
  readonly freedBytes: number;
}

export interface ArtifactStore {
  /** The store's folder (`<home>/artifacts`). */
  readonly root: string;
  /** Hashes the declared build inputs. Throws FLOWLINE_BUILD_INPUT_EMPTY naming a glob that matches nothing. */
  cacheKey(input: CacheKeyInput): Promise<CacheKey>;
  /**
   * Bundles a folder into the store. Atomic: the artifact appears complete or not at all (a full
   * disk or a crash leaves nothing that `get` would serve). Storing identical content again
   * returns the existing artifact. Throws FLOWLINE_BUILD_OUTPUT_MISSING for a missing or empty
   * folder, FLOWLINE_ARTIFACT_DISK_FULL when the disk fills up.
   */
  put(folder: string, options?: PutOptions): Promise<ArtifactRef>;
  /** The stored artifact, or undefined. Never a partial one. */
  get(digest: string): Promise<ArtifactRef | undefined>;
  /** Every stored artifact, in digest order. */
  list(): Promise<ArtifactRef[]>;
  /**
   * Re-hashes every file; throws FLOWLINE_ARTIFACT_CORRUPT naming the first file that differs,
   * is missing or was added, and FLOWLINE_ARTIFACT_NOT_FOUND for an unknown digest.
   */
  verify(digest: string): Promise<ArtifactRef>;
  /**
   * Stores an artifact sent as a tar stream (see transfer.ts) under the digest the sender claims.
   * The files must hash to that digest, else FLOWLINE_ARTIFACT_UPLOAD_REJECTED and nothing is
   * kept. An artifact already stored is not received again: the stream is drained, `received`
   * is false. Atomic like `put`.
   */
  receive(
    digest: string,
    source: Readable,
    options?: ReceiveOptions,
  ): Promise<{ ref: ArtifactRef; received: boolean }>;
  /** A stored artifact's files as a tar stream; FLOWLINE_ARTIFACT_NOT_FOUND for an unknown digest. */
  pack(digest: string): Promise<Readable>;
  /** Removes artifacts for which `keep` is false; returns what was removed. */
  gc(keep: (digest: string) => boolean | Promise<boolean>, options?: GcOptions): Promise<GcResult>;
}
