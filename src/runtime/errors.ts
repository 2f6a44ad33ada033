import { FlowlineError } from '../core/errors.js';

/**
 * The runtime's start failures, each saying which instance, what happened, and the last lines
 * of its log (secrets already redacted), so the user rarely needs to open the log at all.
 */

/** `500ms`, `1.5s`, `10s`, `2m`. */
export function formatMs(ms: number): string {
  if (ms < 1000) return `${ms}ms`;
  if (ms < 60_000 || ms % 60_000 !== 0) return `${Number((ms / 1000).toFixed(1))}s`;
  return `${ms / 60_000}m`;
}

/** How a process ended, in words. */
export function describeExit(code: number | null, signal: NodeJS.Signals | null): string {
  return code !== null ? `exited with code ${code}` : `killed by ${signal ?? 'a signal'}`;
}

/** How a process that is not Flowline's child ended after being stopped: its exit code is unknowable. */
export function describeStop(killed: boolean, signal: NodeJS.Signals): string {
  return killed ? 'killed by SIGKILL' : `exited after ${signal}`;
}

/** What a log line says when the instance could not bind its port. */
export function saysPortInUse(lines: readonly string[]): boolean {
  return lines.some((line) => /EADDRINUSE|address already in use/i.test(line));
}

export interface StartFailure {
  readonly instance: string;
  readonly logFile: string;
  /** Log lines of the failing process, redacted. */
  readonly tail: readonly string[];
}

/** No passing health check within `startPeriod`. */
export function unhealthyError(
  failure: StartFailure,
  startPeriod: number,
  lastCheck: string | null,
): FlowlineError {
  const check = lastCheck === null ? 'no health check completed' : `last check ${lastCheck}`;
  return new FlowlineError(
    'FLOWLINE_DEPLOY_UNHEALTHY',
    `instance ${failure.instance} did not become healthy within ${formatMs(startPeriod)}: ${check}${tailText(failure)}`,
    {
      hint: 'Check that the service listens on the port it is given (run.port.env) and answers the health path with 2xx or 3xx; raise run.health.startPeriod if it starts slowly.',
    },
  );
}

/** The process exited before its first passing check. */
export function exitedError(failure: StartFailure, exit: string, code: number | null): FlowlineError {
  if (code === 127 || code === 126) {
    const what = code === 127 ? 'was not found' : 'is not executable';
    return new FlowlineError(
      'FLOWLINE_RUNTIME_COMMAND_NOT_FOUND',
      `instance ${failure.instance} could not start: its command ${what} (${exit})${tailText(failure)}`,
      {
        hint: 'Fix run.command in flowline.yaml: it runs with /bin/sh -c in the artifact folder, with PATH from Flowline’s environment.',
      },
    );
  }
  return new FlowlineError(
    'FLOWLINE_DEPLOY_UNHEALTHY',
    `instance ${failure.instance} did not become healthy: it stopped while starting (${exit})${tailText(failure)}`,
    {
      hint: `Run the command by hand in the artifact folder to see why it stops; its log is ${failure.logFile}.`,
    },
  );
}

/** Every port tried was taken by another process before the instance could bind it. */
export function portInUseError(failure: StartFailure, attempts: number): FlowlineError {
  return new FlowlineError(
    'FLOWLINE_PORT_IN_USE',
    `instance ${failure.instance} could not listen: the port it was given was taken by another process, ${attempts} times in a row${tailText(failure)}`,
    {
      hint: 'Another program is grabbing free ports as fast as they are handed out, or the service ignores the port it is given and binds a fixed one (it must listen on run.port.env).',
    },
  );
}

function tailText(failure: StartFailure): string {
  if (failure.tail.length === 0) return `\n  (its log ${failure.logFile} is empty)`;
  return `\n  last lines of ${failure.logFile}:\n${failure.tail.map((line) => `    ${line}`).join('\n')}`;
}
