import os from 'node:os';
import path from 'node:path';
import { requireDuration } from './time.js';

/** How long a server waits for news from a CI machine's run before reaping it (10 minutes). */
export const DEFAULT_RUNNER_TIMEOUT_MS = 10 * 60_000;

/**
 * Everything Flowline reads from its process environment, read once at start-up and passed
 * down. Nothing below the composition root reads `process.env` directly.
 */
export interface Settings {
  /** The working directory commands resolve relative paths against. */
  readonly cwd: string;
  /** Flowline's state folder: the SQLite store, artifacts, logs. `FLOWLINE_HOME`, default `<cwd>/.flowline`. */
  readonly home: string;
  /** `FLOWLINE_URL`: when set, the CLI talks to that server instead of running embedded. */
  readonly serverUrl: string | undefined;
  /** `FLOWLINE_TOKEN`: bearer token the CLI sends to a server. */
  readonly token: string | undefined;
  /**
   * `FLOWLINE_CORS_ORIGINS`: web origins (`https://app.example.com`, comma- or space-separated)
   * whose pages may call the flag delivery routes; empty: none. Checked when the server starts.
   */
  readonly corsOrigins: readonly string[];
  /**
   * `FLOWLINE_RUNNER_TIMEOUT` (a duration: `10m`, `90s`): a run recorded from a CI machine whose
   * runner sends nothing for this long is marked failed by the server. Unset: 10 minutes. Checked
   * when the server starts, by {@link runnerTimeoutMs}.
   */
  readonly runnerTimeout: string | undefined;
  /**
   * `FLOWLINE_WORK_DIR`: where each service instance gets its own copy of its artifact, outside
   * the home. Unset: `<home>-work` beside the home (see src/app/data-plane.ts).
   */
  readonly workDir: string | undefined;
  /**
   * `FLOWLINE_RUN_AS`: the user (a name, or `uid:gid`) instances run as when Flowline runs as
   * root; default `nobody`. Checked when the server starts (src/runtime/run-as.ts).
   */
  readonly runAs: string | undefined;
  /**
   * `FLOWLINE_SECRET_KEY`: the key that seals secret values, base64 of exactly 32 bytes. Checked
   * when the store opens (src/secrets/key.ts); never printed. Unset: the key file below.
   */
  readonly secretKey: string | undefined;
  /**
   * `FLOWLINE_SECRET_KEY_FILE` (absolute): where the key is kept when FLOWLINE_SECRET_KEY is unset.
   * Unset: `<home>/secret.key`, see {@link secretKeyFile}.
   */
  readonly secretKeyFile: string | undefined;
  /**
   * `FLOWLINE_AUDIT_ANCHOR`: a file (resolved against `cwd`) to which `flowline serve` appends the
   * audit chain's head every minute and at stop, so a chain rewritten in the store is detected
   * (`flowline audit verify --anchor FILE`). Unset: no anchor file.
   */
  readonly auditAnchor: string | undefined;
  /** `DATABASE_URL`: a PostgreSQL URL for scale-out (not supported yet). */
  readonly databaseUrl: string | undefined;
  /** A frozen copy of the environment, for CI detection and audit "where". */
  readonly env: Readonly<Record<string, string | undefined>>;
  /** The OS user, the actor of embedded commands. */
  readonly osUser: string;
  readonly hostname: string;
}

export function loadSettings(
  env: Readonly<Record<string, string | undefined>> = process.env,
  cwd: string = process.cwd(),
): Settings {
  const home = env.FLOWLINE_HOME ? path.resolve(cwd, env.FLOWLINE_HOME) : path.join(cwd, '.flowline');
  return Object.freeze({
    cwd,
    home,
    serverUrl: emptyToUndefined(env.FLOWLINE_URL),
    token: emptyToUndefined(env.FLOWLINE_TOKEN),
    corsOrigins: Object.freeze((env.FLOWLINE_CORS_ORIGINS ?? '').split(/[\s,]+/).filter((o) => o !== '')),
    runnerTimeout: emptyToUndefined(env.FLOWLINE_RUNNER_TIMEOUT),
    workDir: resolved(cwd, env.FLOWLINE_WORK_DIR),
    runAs: emptyToUndefined(env.FLOWLINE_RUN_AS),
    secretKey: emptyToUndefined(env.FLOWLINE_SECRET_KEY),
    secretKeyFile: resolved(cwd, env.FLOWLINE_SECRET_KEY_FILE),
    auditAnchor: resolved(cwd, env.FLOWLINE_AUDIT_ANCHOR),
    databaseUrl: emptyToUndefined(env.DATABASE_URL),
    env: Object.freeze({ ...env }),
    osUser: safeUserName(env),
    hostname: os.hostname(),
  });
}

/**
 * The runner timeout in milliseconds; FLOWLINE_SETTING_INVALID for a value that is not a
 * duration of at least a second. Runners send a heartbeat every 30 s, so keep it well above that.
 */
export function runnerTimeoutMs(settings: Pick<Settings, 'runnerTimeout'>): number {
  const text = settings.runnerTimeout;
  if (text === undefined) return DEFAULT_RUNNER_TIMEOUT_MS;
  return requireDuration(text, {
    name: 'FLOWLINE_RUNNER_TIMEOUT',
    min: '1s',
    code: 'FLOWLINE_SETTING_INVALID',
  });
}

/**
 * The key file: FLOWLINE_SECRET_KEY_FILE, else `secret.key` in the home folder. A function rather
 * than a field so that `--home` moves the default with the home.
 */
export function secretKeyFile(settings: Pick<Settings, 'home' | 'secretKeyFile'>): string {
  return settings.secretKeyFile ?? path.join(settings.home, 'secret.key');
}

function emptyToUndefined(value: string | undefined): string | undefined {
  return value === undefined || value.trim() === '' ? undefined : value;
}

function resolved(cwd: string, value: string | undefined): string | undefined {
  const text = emptyToUndefined(value);
  return text === undefined ? undefined : path.resolve(cwd, text);
}

function safeUserName(env: Readonly<Record<string, string | undefined>>): string {
  try {
    return os.userInfo().username;
  } catch {
    // Containers with an unknown uid have no passwd entry.
    return env.USER ?? env.LOGNAME ?? 'unknown';
  }
}
