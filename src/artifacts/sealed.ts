import { readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { FlowlineError } from '../core/errors.js';
import type { SourceEntry } from './walk.js';

/**
 * The flowline.yaml a build used, sealed inside its artifact (docs/adr/0010-trust-model.md).
 * It is an ordinary file of the bundle, so the digest covers it: what a deploy runs is fixed by
 * the artifact it names, and a config changed after the build no longer hashes to the digest.
 */
export const SEALED_DIR = '.flowline-build';
export const SEALED_CONFIG = `${SEALED_DIR}/flowline.yaml`;

/** Largest config sealed into an artifact (the config parser's own limit is lower). */
const MAX_SEALED_BYTES = 4 * 1024 * 1024;

/**
 * Adds the config to the entries about to be bundled: written to a file in the staging folder,
 * listed at {@link SEALED_CONFIG}. The build output may not hold a `.flowline-build` of its own.
 */
export async function withSealedConfig(
  entries: readonly SourceEntry[],
  config: string,
  staging: string,
): Promise<SourceEntry[]> {
  const clash = entries.find((e) => e.rel === SEALED_DIR || e.rel.startsWith(`${SEALED_DIR}/`));
  if (clash !== undefined) {
    throw new FlowlineError(
      'FLOWLINE_BUILD_OUTPUT_RESERVED',
      `The build output holds ${clash.rel}, but \`${SEALED_DIR}/\` is where Flowline seals the build's flowline.yaml.`,
      { hint: `Rename it, or leave it out with \`build.exclude: ["${SEALED_DIR}/**"]\`.` },
    );
  }
  const bytes = Buffer.from(config, 'utf8');
  if (bytes.length > MAX_SEALED_BYTES) {
    throw new FlowlineError(
      'FLOWLINE_CONFIG_INVALID',
      'The flowline.yaml to seal into the artifact is too large.',
      {
        hint: 'Keep flowline.yaml under 1 MiB.',
      },
    );
  }
  const abs = path.join(staging, 'sealed-flowline.yaml');
  await writeFile(abs, bytes, { mode: 0o444 });
  const sealed: SourceEntry = {
    rel: SEALED_CONFIG,
    abs,
    kind: 'file',
    size: bytes.length,
    executable: false,
  };
  return [...entries, sealed].sort((a, b) => (a.rel < b.rel ? -1 : a.rel > b.rel ? 1 : 0));
}

/** The config sealed in a stored artifact's folder, or undefined for an artifact built without one. */
export async function readSealedConfig(artifactPath: string): Promise<string | undefined> {
  return readFile(path.join(artifactPath, SEALED_CONFIG), 'utf8').catch((error: NodeJS.ErrnoException) => {
    if (error.code === 'ENOENT' || error.code === 'ENOTDIR') return undefined;
    throw error;
  });
}
