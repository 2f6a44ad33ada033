import { readFile } from 'node:fs/promises';
import path from 'node:path';
import type { DaemonInfo } from '../../app/daemon.js';
import { FlowlineError } from '../../core/errors.js';
import { isAlive } from '../../core/process.js';
import type { HttpTarget } from './http.js';

/**
 * Finds the local `flowline serve` through its daemon file, so embedded commands that need the
 * router and runtime (deploy, rollback) reach it without a URL or token. A file left by a dead
 * process is ignored.
 */
export async function localDaemon(home: string): Promise<HttpTarget> {
  const file = path.join(home, 'daemon.json');
  const text = await readFile(file, 'utf8').catch(() => undefined);
  const info = text === undefined ? undefined : (JSON.parse(text) as DaemonInfo);
  if (info === undefined || !isAlive(info.pid)) {
    throw new FlowlineError('FLOWLINE_DAEMON_NOT_RUNNING', `No Flowline server runs for ${home}.`, {
      hint: 'Start it with `flowline serve` in another terminal (or set FLOWLINE_URL to a server), then retry.',
    });
  }
  return { base: info.apiUrl, token: info.secret };
}
