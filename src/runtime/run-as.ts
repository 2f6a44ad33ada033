import { readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { FlowlineError } from '../core/errors.js';
import type { RunAs } from './workdir.js';

/** Who instances run as when nothing is configured and Flowline runs as root. */
export const DEFAULT_RUN_AS = 'nobody';

/**
 * The user instances run as (docs/adr/0010-trust-model.md). As root: `setting` (a user name from
 * /etc/passwd, or `uid:gid`), default `nobody`; `root` (or uid 0) opts out, knowingly. Not root:
 * instances run as Flowline's own user, and a setting is refused, since switching users needs root.
 */
export function resolveRunAs(
  setting: string | undefined,
  uid: number | undefined = process.getuid?.(),
  passwd: () => string = () => readFileSync('/etc/passwd', 'utf8'),
): RunAs | undefined {
  if (uid !== 0) {
    if (setting === undefined) return undefined;
    throw new FlowlineError(
      'FLOWLINE_NOT_SUPPORTED',
      `FLOWLINE_RUN_AS=${setting} needs Flowline to run as root.`,
      {
        hint: 'Unset FLOWLINE_RUN_AS (instances then run as your own user), or start Flowline as root.',
      },
    );
  }
  const wanted = setting ?? DEFAULT_RUN_AS;
  const numeric = /^(\d+):(\d+)$/.exec(wanted);
  const found = numeric
    ? { uid: Number(numeric[1]), gid: Number(numeric[2]), name: wanted }
    : lookup(wanted, passwd);
  if (found.uid === 0) return undefined;
  return found;
}

function lookup(name: string, passwd: () => string): RunAs {
  let text = '';
  try {
    text = passwd();
  } catch {
    // no passwd file: the user cannot be found
  }
  for (const line of text.split('\n')) {
    const [user, , uid, gid] = line.split(':');
    if (user === name && uid !== undefined && gid !== undefined && /^\d+$/.test(uid) && /^\d+$/.test(gid)) {
      return { uid: Number(uid), gid: Number(gid), name };
    }
  }
  throw new FlowlineError(
    'FLOWLINE_SETTING_INVALID',
    `FLOWLINE_RUN_AS: no user named \`${name}\` on this machine.`,
    {
      hint: 'Give an existing user name, or `uid:gid` (e.g. FLOWLINE_RUN_AS=65534:65534).',
    },
  );
}

/**
 * Throws FLOWLINE_SETTING_INVALID unless `runAs` can reach `dir`: every existing folder above it
 * must let that user through (execute permission as owner, group or other). Checked when the
 * server starts, so a work folder below a private home fails there, not at the first deploy.
 */
export function assertReachable(dir: string, runAs: RunAs): void {
  const blocked = blockedFolders(dir, runAs);
  if (blocked.length === 0) return;
  throw new FlowlineError(
    'FLOWLINE_SETTING_INVALID',
    `Instances run as ${runAs.name}, which cannot reach the work folder ${dir}: ${blocked.join(', ')} ${blocked.length === 1 ? 'lets' : 'let'} it not through.`,
    {
      hint: `Set FLOWLINE_WORK_DIR to a folder ${runAs.name} can reach (e.g. /var/lib/flowline-work), or open the folders above it (chmod o+x).`,
    },
  );
}

/** Whether `runAs` can reach `dir` (see {@link assertReachable}). */
export function isReachable(dir: string, runAs: RunAs): boolean {
  return blockedFolders(dir, runAs).length === 0;
}

/** The existing folders above `dir` that do not let `runAs` through. */
function blockedFolders(dir: string, runAs: RunAs): string[] {
  const blocked: string[] = [];
  for (let current = path.dirname(path.resolve(dir)); ; current = path.dirname(current)) {
    const info = statSync(current, { throwIfNoEntry: false });
    if (info !== undefined) {
      const bit = info.uid === runAs.uid ? 0o100 : info.gid === runAs.gid ? 0o010 : 0o001;
      if ((info.mode & bit) === 0) blocked.push(current);
    }
    if (path.dirname(current) === current) break;
  }
  return blocked;
}
