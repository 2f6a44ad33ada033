import { afterAll } from 'vitest';
import { stopStartedProcesses } from './e2e/helpers.js';

// A failed or timed-out test must not leave a Flowline server (and its service instances) running.
afterAll(async () => {
  await stopStartedProcesses();
}, 30_000);
