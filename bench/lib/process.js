// Child processes for benchmarks and end-to-end tests: start one, wait until its output says it
// is ready, stop it with a signal and wait for the exit.
import { spawn } from 'node:child_process';

/**
 * @typedef {object} Started
 * @property {import('node:child_process').ChildProcess} child
 * @property {RegExpExecArray} match What `ready` matched in the output.
 * @property {() => string} output Everything the process printed so far (stdout and stderr).
 * @property {(signal?: NodeJS.Signals) => Promise<number | null>} stop Sends the signal (default SIGTERM) and resolves with the exit code.
 */

/**
 * Spawns a command and resolves once a line of its output matches `ready`; rejects if it exits
 * first or `timeoutMs` passes (the process is killed then).
 * @param {string} command
 * @param {readonly string[]} args
 * @param {{ ready: RegExp, env?: Record<string, string | undefined>, cwd?: string, timeoutMs?: number }} options
 * @returns {Promise<Started>}
 */
export function spawnReady(command, args, options) {
  const child = spawn(command, [...args], {
    env: options.env ?? process.env,
    cwd: options.cwd,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  /** @type {Promise<number | null>} */
  const exited = new Promise((resolve) =>
    child.once('exit', (code, signal) => resolve(code ?? (signal ? -1 : null))),
  );
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(
        new Error(
          `${command} ${args.join(' ')} not ready after ${options.timeoutMs ?? 10_000} ms:\n${output}`,
        ),
      );
    }, options.timeoutMs ?? 10_000);
    /** @param {Buffer} data */
    const onData = (data) => {
      output += data.toString();
      const match = options.ready.exec(output);
      if (match === null) return;
      clearTimeout(timer);
      resolve({
        child,
        match,
        output: () => output,
        stop: (signal = 'SIGTERM') => {
          if (child.exitCode === null && child.signalCode === null) child.kill(signal);
          return exited;
        },
      });
    };
    child.stdout?.on('data', onData);
    child.stderr?.on('data', (data) => {
      output += data.toString();
    });
    child.once('error', (error) => {
      clearTimeout(timer);
      reject(error);
    });
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`${command} exited with ${code} before it was ready:\n${output}`));
    });
  });
}
