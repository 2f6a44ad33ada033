import { FlowlineError } from '../core/errors.js';
import type { ArtifactRef, ArtifactStore } from './types.js';

/**
 * A full digest from what a user typed: the digest, or a unique prefix of a stored one, with or
 * without `sha256:`. Throws FLOWLINE_USAGE (not a digest, ambiguous) or FLOWLINE_ARTIFACT_NOT_FOUND.
 */
export async function resolveStoredDigest(
  store: Pick<ArtifactStore, 'list' | 'root'>,
  text: string,
): Promise<string> {
  const hex = text
    .trim()
    .toLowerCase()
    .replace(/^sha256:/, '');
  if (!/^[0-9a-f]{4,64}$/.test(hex)) {
    throw new FlowlineError('FLOWLINE_USAGE', `\`${text}\` is not an artifact digest.`, {
      hint: 'Give sha256:<hex>, or at least its first 4 hex digits, as `flowline artifacts` shows.',
    });
  }
  if (hex.length === 64) return `sha256:${hex}`;
  const matches = (await store.list()).filter((r: ArtifactRef) => r.digest.startsWith(`sha256:${hex}`));
  const [only] = matches;
  if (matches.length === 1 && only !== undefined) return only.digest;
  if (matches.length === 0) {
    throw new FlowlineError(
      'FLOWLINE_ARTIFACT_NOT_FOUND',
      `No stored artifact's digest starts with ${text}.`,
      {
        hint: `List artifacts with \`flowline artifacts\`; this store is ${store.root}.`,
      },
    );
  }
  throw new FlowlineError('FLOWLINE_USAGE', `${text} matches ${matches.length} artifacts.`, {
    hint: `Give more of the digest: ${matches.map((m) => m.digest.slice(0, 19)).join(', ')}.`,
  });
}
