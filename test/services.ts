import { existsSync } from 'node:fs';
import path from 'node:path';
import { describe } from 'vitest';

/**
 * System services some suites run for real (Prometheus today; PostgreSQL, Chromium and HAProxy
 * as they arrive). On a developer's machine a missing one skips its suite with a notice that
 * says how to install it; under `CI=true` (which `.ci/run` sets after installing them) a missing
 * one fails the suite, so CI can never go green without having run it.
 */
export interface SystemService {
  /** Human name, as the notice prints it. */
  readonly name: string;
  /** Executable looked up on PATH (and in /usr/sbin, /usr/bin). */
  readonly binary: string;
  /** The command that installs it on Debian. */
  readonly install: string;
}

export const PROMETHEUS: SystemService = {
  name: 'Prometheus',
  binary: 'prometheus',
  install: 'apt-get install -y --no-install-recommends prometheus',
};

export const CHROMIUM: SystemService = {
  name: 'Chromium',
  binary: 'chromium',
  install: 'apt-get install -y --no-install-recommends chromium',
};

/** Absolute path of the service's executable, or undefined when it is not installed. */
export function findService(service: SystemService): string | undefined {
  const dirs = [...(process.env.PATH ?? '').split(path.delimiter), '/usr/sbin', '/usr/bin'];
  for (const dir of dirs) {
    if (dir === '') continue;
    const candidate = path.join(dir, service.binary);
    if (existsSync(candidate)) return candidate;
  }
  return undefined;
}

/**
 * `describe` when the service is installed; otherwise `describe.skip` after a visible notice,
 * or an error under CI=true.
 */
export function describeWith(service: SystemService): typeof describe | typeof describe.skip {
  if (findService(service) !== undefined) return describe;
  const why = `${service.name} is not installed (no \`${service.binary}\` on PATH); install it with \`${service.install}\``;
  if (process.env.CI === 'true') {
    throw new Error(`${why}. CI=true requires every system service a suite uses.`);
  }
  process.stderr.write(`\n⚠ skipping a suite: ${why}\n`);
  return describe.skip;
}
