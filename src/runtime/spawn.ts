import { type ChildProcess, spawn } from 'node:child_process';
import type { RevisionSpec } from './types.js';
import type { InstanceFolders } from './workdir.js';

/** Flowline's own variables that an instance inherits; everything else of Flowline's environment stays out. */
const INHERITED = ['PATH', 'LANG'] as const;
const DEFAULT_PATH = '/usr/local/bin:/usr/bin:/bin';

/** Who an instance is and its folders, as it learns them from its environment. */
export interface InstanceIdentity extends InstanceFolders {
  readonly id: string;
  readonly nonce: string;
  readonly port: number;
}

/** The variable holding an instance's nonce: how `adopt` finds a process whose pid was never recorded. */
export const NONCE_ENV = 'FLOWLINE_INSTANCE_NONCE';

/**
 * An instance's environment, built from nothing: PATH and LANG from Flowline's own environment,
 * HOME set to the instance's own folder (Flowline's HOME would point at its user's files) and
 * TMPDIR to its scratch folder, then the declared env, then secrets, then what Flowline sets (the
 * port, `FLOWLINE_*` and FLOWLINE_DATA_DIR), each overriding the one before.
 */
export function instanceEnv(
  spec: RevisionSpec,
  instance: InstanceIdentity,
  hostEnv: Readonly<Record<string, string | undefined>>,
): Record<string, string> {
  const env: Record<string, string> = { PATH: DEFAULT_PATH };
  for (const name of INHERITED) {
    const value = hostEnv[name];
    if (value !== undefined) env[name] = value;
  }
  env.HOME = instance.home;
  env.TMPDIR = instance.scratch;
  Object.assign(env, spec.env, spec.secrets ?? {});
  env[spec.portEnv] = String(instance.port);
  env.FLOWLINE_INSTANCE = instance.id;
  env.FLOWLINE_REVISION = spec.revision;
  env.FLOWLINE_SERVICE = spec.service;
  env.FLOWLINE_ENVIRONMENT = spec.environment;
  env.FLOWLINE_DATA_DIR = instance.data;
  env[NONCE_ENV] = instance.nonce;
  if (spec.artifact !== undefined) env.FLOWLINE_ARTIFACT = spec.artifact;
  return env;
}

/**
 * Spawns `/bin/sh -c command` in its own session and process group (detached), so it outlives a
 * crash of Flowline (to be adopted) and can be signalled as a tree. Output goes straight to the
 * log file descriptor. The child is unreferenced: it never keeps Flowline's event loop alive.
 */
export function spawnInstance(options: {
  readonly command: string;
  readonly workdir: string;
  readonly env: Record<string, string>;
  readonly logFd: number;
  /** Run as this user (Flowline runs as root); see run-as.ts. */
  readonly runAs?: { readonly uid: number; readonly gid: number } | undefined;
}): ChildProcess {
  const child = spawn('/bin/sh', ['-c', options.command], {
    cwd: options.workdir,
    env: options.env,
    ...(options.runAs === undefined ? {} : { uid: options.runAs.uid, gid: options.runAs.gid }),
    detached: true,
    stdio: ['ignore', options.logFd, options.logFd],
  });
  child.unref();
  return child;
}
