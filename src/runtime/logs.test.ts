import { appendFile, mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { logTail, openInstanceLog } from './logs.js';

const dir = await mkdtemp(path.join(os.tmpdir(), 'flowline-logs-'));
afterAll(() => rm(dir, { recursive: true, force: true }));

describe('instance logs', () => {
  it('tails only what the current process wrote after its marker, with secrets redacted', async () => {
    const file = path.join(dir, 'nested', 'a-1.log');
    const first = await openInstanceLog(file, 'starting a-1 (1)');
    await first.handle.close();
    await appendFile(file, 'old process output\n');
    const second = await openInstanceLog(file, 'starting a-1 (2)');
    await second.handle.close();
    await appendFile(file, 'line 1\nthe token is hunter22\n\nline 3\n');

    expect(await logTail(file, second.offset, ['hunter22'])).toEqual([
      'line 1',
      'the token is ***',
      'line 3',
    ]);
    expect(await logTail(file, second.offset, [], 1)).toEqual(['line 3']);
    expect(await logTail(file, 0)).toContain('--- flowline: starting a-1 (2) ---');
    expect(await logTail(path.join(dir, 'missing.log'), 0)).toEqual([]);
  });

  it('masks as stage logs do: a secret containing another whole, and encoded forms', async () => {
    const file = path.join(dir, 'b-1.log');
    const { handle, offset } = await openInstanceLog(file, 'starting b-1 (1)');
    await handle.close();
    const hex = Buffer.from('hunter22').toString('hex');
    await appendFile(file, `key hunter22-extended\nhex ${hex}\n`);
    // Listed shortest first: masking in list order would leave `***-extended`.
    expect(await logTail(file, offset, ['hunter22', 'hunter22-extended'])).toEqual(['key ***', 'hex ***']);
  });
});
