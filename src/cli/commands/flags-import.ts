import pc from 'picocolors';
import { FlowlineError } from '../../core/errors.js';
import { counted } from '../../core/plural.js';
import type { ImportedFlagNote, ImportResult } from '../../flags/index.js';
import type { CommandContext } from '../context.js';
import { printable } from '../output.js';

/**
 * What `flowline flags import` reports: every flag of the file is either imported as it is,
 * imported with notes (corner cases where it may answer differently), or skipped with the reason.
 * The same lists go to the terminal and to `--json`, whether or not the import changed anything.
 */
export interface ImportSummary {
  readonly from: string;
  /** Every imported flag, those with notes included, in file order. */
  readonly imported: readonly string[];
  readonly withNotes: readonly string[];
  readonly skipped: readonly ImportedFlagNote[];
  readonly notes: readonly ImportedFlagNote[];
}

export function importSummary(from: string, result: Extract<ImportResult, { ok: true }>): ImportSummary {
  const imported = Object.keys(result.definition.flags);
  const noted = new Set(result.notes.map((note) => note.flag));
  return {
    from,
    imported,
    withNotes: imported.filter((flag) => noted.has(flag)),
    skipped: result.skipped,
    notes: result.notes,
  };
}

/**
 * The error when nothing could be imported: every flag was skipped (or the file has none). Each
 * skipped flag is an issue, so `--json` carries the reasons too.
 */
export function nothingImported(summary: ImportSummary, file: string): FlowlineError {
  const total = summary.skipped.length;
  return new FlowlineError(
    'FLOWLINE_FLAGS_IMPORT_NOTHING',
    total === 0
      ? `${file} holds no flags to import.`
      : `None of the ${counted(total, 'flag')} in ${file} could be imported: every one was skipped.`,
    {
      hint:
        total === 0
          ? 'Check that this is the right file (and, for an Unleash admin export, the right --unleash-env).'
          : 'Each reason is listed above; fix or remove those flags at the origin, or recreate them in flowline.yaml.',
      issues: summary.skipped.map((s) => ({ code: 'flag_skipped', message: s.message, path: s.flag, file })),
    },
  );
}

/** The summary for people: counts, then one line per flag, notes and reasons under their flag. */
export function writeImportSummary(ctx: CommandContext, summary: ImportSummary): void {
  const out = (line: string) => ctx.streams.stdout.write(`${line}\n`);
  const plain = summary.imported.length - summary.withNotes.length;
  const total = summary.imported.length + summary.skipped.length;
  out(
    `${counted(summary.imported.length, 'flag')} of ${total} imported from ${printable(summary.from)}: ` +
      `${plain} as they are, ${summary.withNotes.length} with notes, ${summary.skipped.length} skipped`,
  );
  const withNotes = new Set(summary.withNotes);
  for (const flag of summary.imported) {
    if (!withNotes.has(flag)) {
      out(`  ${pc.green('✔')} ${printable(flag)}`);
      continue;
    }
    out(`  ${pc.yellow('!')} ${printable(flag)}, with notes:`);
    for (const note of summary.notes) if (note.flag === flag) out(`      ${pc.dim(printable(note.message))}`);
  }
  for (const skipped of summary.skipped) {
    out(`  ${pc.red('✗')} ${printable(skipped.flag)}, skipped: ${printable(skipped.message)}`);
  }
}
