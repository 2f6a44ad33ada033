import { createServer, type Server } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { EvaluationCounts, MAX_PENDING_PAIRS } from './counts.js';
import { resolveOptions } from './options.js';

/** A real HTTP server answering every request with `status`, counting the entries it received. */
async function answering(status: number) {
  const received: { flag: string; variant: string; count: number }[] = [];
  const server: Server = createServer((request, response) => {
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => chunks.push(chunk));
    request.on('end', () => {
      if (status === 202) received.push(...JSON.parse(Buffer.concat(chunks).toString('utf8')).evaluations);
      response.writeHead(status, { 'content-type': 'application/json' }).end('{}');
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  const port = typeof address === 'object' && address !== null ? address.port : 0;
  return { url: `http://127.0.0.1:${port}`, received, close: () => new Promise((r) => server.close(r)) };
}

function counts(url: string, lines: string[] = []) {
  const keep = (level: string) => (message: unknown) => void lines.push(`${level} ${String(message)}`);
  return new EvaluationCounts(
    resolveOptions({
      url,
      token: 'flt_x',
      service: 'shop',
      environment: 'production',
      logger: { error: keep('error'), warn: keep('warn'), info: keep('info'), debug: keep('debug') },
    }),
  );
}

describe('evaluation counts in the provider', () => {
  let down: Awaited<ReturnType<typeof answering>>;
  let failing: Awaited<ReturnType<typeof answering>>;
  let gone: Awaited<ReturnType<typeof answering>>;
  let taking: Awaited<ReturnType<typeof answering>>;

  beforeAll(async () => {
    down = await answering(202);
    await down.close(); // its port now refuses connections
    failing = await answering(503);
    gone = await answering(404);
    taking = await answering(202);
  });

  afterAll(async () => {
    await failing.close();
    await gone.close();
    await taking.close();
  });

  it('keeps the counts when a flush fails, and never rejects', async () => {
    for (const server of [down, failing]) {
      const pending = counts(server.url);
      pending.count('new-checkout', 'on');
      pending.count('new-checkout', 'on');
      await expect(pending.flush()).resolves.toBeUndefined();
      pending.count('new-checkout', 'off');
      expect(pending.pending).toBe(3);
    }
  });

  it('holds at most MAX_PENDING_PAIRS flag/variant pairs, still counting those it holds', async () => {
    const lines: string[] = [];
    const pending = counts(down.url, lines);
    for (let i = 0; i < MAX_PENDING_PAIRS + 50; i++) pending.count(`flag-${i}`, 'on');
    pending.count('flag-0', 'on');
    expect(pending.pending).toBe(MAX_PENDING_PAIRS + 1);
    await pending.flush(); // fails: the server is down; nothing is lost beyond the cap
    expect(pending.pending).toBe(MAX_PENDING_PAIRS + 1);
  });

  it('sends in batches, and reports evaluations it could not hold once they are sent', async () => {
    const lines: string[] = [];
    const pending = counts(taking.url, lines);
    for (let i = 0; i < MAX_PENDING_PAIRS + 5; i++) pending.count(`flag-${i}`, 'on');
    await pending.close();
    expect(taking.received).toHaveLength(MAX_PENDING_PAIRS);
    expect(pending.pending).toBe(0);
    expect(lines.filter((line) => line.includes('5 evaluation(s) were not counted'))).toHaveLength(1);
  });

  it('stops counting, with one warning, when the server has no counts endpoint', async () => {
    const lines: string[] = [];
    const pending = counts(gone.url, lines);
    pending.count('new-checkout', 'on');
    await pending.flush();
    pending.count('new-checkout', 'on');
    await pending.flush();
    expect(pending.pending).toBe(0);
    expect(lines.filter((line) => line.startsWith('warn'))).toHaveLength(1);
    expect(lines[0]).toMatch(/HTTP 404.*counting stopped/);
  });
});
