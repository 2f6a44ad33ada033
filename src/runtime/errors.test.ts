import { describe, expect, it } from 'vitest';
import { describeExit, exitedError, formatMs, saysPortInUse, unhealthyError } from './errors.js';

const failure = {
  instance: 'hello-staging-3f2a-1',
  logFile: '/logs/hello-staging-3f2a-1.log',
  tail: ['boom'],
};

describe('start failures', () => {
  it('name the instance, the deadline and the last check, then the log lines', () => {
    const error = unhealthyError(failure, 10_000, 'GET /healthz → 503');
    expect(error.code).toBe('FLOWLINE_DEPLOY_UNHEALTHY');
    expect(error.message).toBe(
      'instance hello-staging-3f2a-1 did not become healthy within 10s: last check GET /healthz → 503\n' +
        '  last lines of /logs/hello-staging-3f2a-1.log:\n    boom',
    );
    expect(unhealthyError({ ...failure, tail: [] }, 500, null).message).toBe(
      'instance hello-staging-3f2a-1 did not become healthy within 500ms: no health check completed\n' +
        '  (its log /logs/hello-staging-3f2a-1.log is empty)',
    );
  });

  it('tell a missing or non-executable command from a crash', () => {
    expect(exitedError(failure, 'exited with code 127', 127).code).toBe('FLOWLINE_RUNTIME_COMMAND_NOT_FOUND');
    expect(exitedError(failure, 'exited with code 126', 126).message).toContain(
      'its command is not executable',
    );
    const crash = exitedError(failure, 'killed by SIGSEGV', null);
    expect(crash.code).toBe('FLOWLINE_DEPLOY_UNHEALTHY');
    expect(crash.message).toContain('did not become healthy: it stopped while starting (killed by SIGSEGV)');
  });

  it('read exits, durations and port clashes the way people write them', () => {
    expect(describeExit(1, null)).toBe('exited with code 1');
    expect(describeExit(null, 'SIGKILL')).toBe('killed by SIGKILL');
    expect([formatMs(500), formatMs(1500), formatMs(10_000), formatMs(120_000)]).toEqual([
      '500ms',
      '1.5s',
      '10s',
      '2m',
    ]);
    expect(saysPortInUse(['Error: listen EADDRINUSE: address already in use :::3000'])).toBe(true);
    expect(saysPortInUse(['listening on 3000'])).toBe(false);
  });
});
