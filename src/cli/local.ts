import path from 'node:path';
import type { Flowline } from '../app/flowline.js';
import type { Settings } from '../core/settings.js';

/** How an embedded command opens the local store. */
export interface OpenLocalOptions {
  /** False for commands that only read: a missing store is FLOWLINE_STORE_NOT_FOUND. Default true. */
  readonly create?: boolean;
  /** Where to say that a new store was made (stderr); absent: say nothing (a scratch store). */
  readonly notices?: NodeJS.WritableStream;
}

/**
 * Opens the store of `settings.home` in this process. Run in a folder without FLOWLINE_HOME, a
 * command would otherwise work on a second, empty store in ./.flowline without a word: so a store
 * made now is announced once, and commands that only read refuse a missing one instead.
 */
export async function openLocal(settings: Settings, options: OpenLocalOptions = {}): Promise<Flowline> {
  const { createFlowline } = await import('../app/flowline.js');
  const flowline = await createFlowline(settings, { create: options.create !== false });
  if (flowline.store.created) options.notices?.write(newStoreNotice(settings.cwd, flowline.store.file));
  return flowline;
}

/** `created a new store at ./.flowline/flowline.db (…)`: relative to the working folder when inside it. */
export function newStoreNotice(cwd: string, file: string): string {
  const relative = path.relative(cwd, file);
  const shown = relative.startsWith('..') || path.isAbsolute(relative) ? file : `.${path.sep}${relative}`;
  return `created a new store at ${shown} (set FLOWLINE_HOME or --home to use another)\n`;
}
