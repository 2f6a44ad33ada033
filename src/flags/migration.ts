import type { FlagSetDefinition } from './engine/types.js';

/** Thrown while converting a flag whose logic has no exact equivalent: the flag is reported, not changed. */
export class Inexpressible extends Error {}

/** What an import or export reports about one flag. */
export interface ImportedFlagNote {
  readonly flag: string;
  readonly message: string;
}

/**
 * The outcome of importing another tool's flags. `skipped` flags had logic with no exact
 * equivalent and are not in `definition`; `notes` name corner cases where an imported flag may
 * answer differently (mostly attributes of unusual types).
 */
export type ImportResult =
  | {
      readonly ok: true;
      readonly definition: FlagSetDefinition;
      readonly skipped: readonly ImportedFlagNote[];
      readonly notes: readonly ImportedFlagNote[];
    }
  | { readonly ok: false; readonly error: string };
