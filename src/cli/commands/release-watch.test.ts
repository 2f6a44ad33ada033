import { describe, expect, it } from 'vitest';
import type { Deployment } from '../../catalog/index.js';
import { FlowlineError } from '../../core/errors.js';
import { createVirtualTime } from '../../core/sleep.js';
import type { ReleaseStatus } from '../backend/types.js';
import { type JournalLine, watchRelease } from './release-watch.js';

// Following a release through a server that goes away, in virtual time: the reads are scripted
// (answers and the errors the HTTP client raises), the waiting is the injected clock's.

const line = (n: number, at = `2026-01-01T00:00:0${n}.000Z`): JournalLine => ({
  at,
  kind: 'progress',
  message: `line ${n}`,
});

function release(id: string, lines: readonly JournalLine[], phase: string | null = 'step:1'): ReleaseStatus {
  return {
    deployment: { id, status: phase === null ? 'succeeded' : 'running', reason: null } as Deployment,
    phase,
    traffic: [],
    host: null,
    url: null,
    journal: lines,
  };
}

const gone = () =>
  new FlowlineError(
    'FLOWLINE_SERVER_UNREACHABLE',
    'Cannot reach the Flowline server at http://127.0.0.1:7420.',
  );
const noDaemon = () => new FlowlineError('FLOWLINE_DAEMON_NOT_RUNNING', 'No Flowline server runs for /home.');

/** Runs watchRelease over `answers` (an Error is thrown, a status answered; the last repeats). */
async function follow(answers: readonly (ReleaseStatus | Error)[], reconnectForMs?: number) {
  const time = createVirtualTime();
  const start = time.wait.now();
  const shown: string[] = [];
  const headings: string[] = [];
  const notices: string[] = [];
  let reads = 0;
  const watching = watchRelease({
    environment: 'staging',
    read: async () => {
      const answer = answers[Math.min(reads++, answers.length - 1)];
      if (answer instanceof Error) throw answer;
      return answer as ReleaseStatus;
    },
    onRelease: (status) => headings.push(status.deployment.id),
    onLines: (lines) => shown.push(...lines.map((l) => l.message)),
    notice: (text) => notices.push(text),
    wait: time.wait,
    ...(reconnectForMs === undefined ? {} : { reconnectForMs }),
  });
  const outcome: { last?: ReleaseStatus; error?: unknown } = await time.run(watching).then(
    (last) => ({ last }),
    (error: unknown) => ({ error }),
  );
  return { ...outcome, shown, headings, notices, reads, waitedMs: time.wait.now() - start };
}

describe('following a release across a server restart', () => {
  it('says once that the server went away and once that it is back, and shows every line once', async () => {
    const result = await follow([
      release('dep_1', [line(1), line(2)]),
      gone(),
      noDaemon(),
      gone(),
      // After the restart the window reaches back before what was shown.
      release('dep_1', [line(1), line(2), line(3), line(4)]),
      release('dep_1', [line(2), line(3), line(4), line(5)], null),
    ]);
    expect(result.error).toBeUndefined();
    expect(result.shown).toEqual(['line 1', 'line 2', 'line 3', 'line 4', 'line 5']);
    expect(result.headings).toEqual(['dep_1']);
    expect(result.notices).toHaveLength(2);
    expect(result.notices[0]).toMatch(
      /^server went away; reconnecting for up to 2m \(the release carries on there\)…/,
    );
    expect(result.notices[1]).toBe('reconnected: following the release again\n');
  });

  it('shows two equal lines logged in the same millisecond both, each once', async () => {
    const same = line(1, '2026-01-01T00:00:01.000Z');
    const result = await follow([
      release('dep_1', [same]),
      release('dep_1', [same, same]),
      release('dep_1', [same, same], null),
    ]);
    expect(result.shown).toEqual(['line 1', 'line 1']);
  });

  it('gives up with FLOWLINE_SERVER_UNREACHABLE once the server stayed away for the whole bound', async () => {
    const result = await follow([release('dep_1', [line(1)]), gone()]);
    expect(result.error).toMatchObject({
      code: 'FLOWLINE_SERVER_UNREACHABLE',
      message: expect.stringMatching(/^The Flowline server did not come back within 2m/),
      hint: expect.stringContaining('`flowline release status staging -w`'),
    });
    // 0.5 s between the first read and the outage, then 2 minutes of backoff in virtual time.
    expect(result.waitedMs).toBe(500 + 120_000);
    // Backoff: 0.5, 1, 2, 4 s, then every 5 s; not a tight loop.
    expect(result.reads).toBe(2 + 4 + Math.ceil((120_000 - 7_500) / 5_000));
    expect(result.notices).toHaveLength(1);
  });

  it('waits for a server that is not there yet when following starts', async () => {
    const result = await follow([noDaemon(), release('dep_1', [line(1)], null)]);
    expect(result.shown).toEqual(['line 1']);
    expect(result.notices).toHaveLength(2);
  });

  it('ends at once on any other error, saying nothing of reconnecting', async () => {
    const missing = new FlowlineError('FLOWLINE_NOT_FOUND', 'Nothing was ever deployed to staging of hello.');
    const result = await follow([release('dep_1', [line(1)]), missing]);
    expect(result.error).toBe(missing);
    expect(result.notices).toEqual([]);
  });

  it('shows the heading and lines of a deployment that followed the one watched', async () => {
    const result = await follow([
      release('dep_1', [line(1)]),
      gone(),
      release('dep_2', [line(7)]),
      release('dep_2', [line(7), line(8)], null),
    ]);
    expect(result.headings).toEqual(['dep_1', 'dep_2']);
    expect(result.shown).toEqual(['line 1', 'line 7', 'line 8']);
  });
});
