import { readdir, readFile } from 'node:fs/promises';
import path from 'node:path';
import { Readable } from 'node:stream';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createManualClock } from '../core/clock.js';
import { createArtifactStore } from './store.js';
import { makeTree, tempDir } from './testing.js';
import type { ArtifactStore } from './types.js';

let t: Awaited<ReturnType<typeof tempDir>>;
let sender: ArtifactStore;
let receiver: ArtifactStore;

beforeEach(async () => {
  t = await tempDir();
  const clock = createManualClock();
  sender = createArtifactStore({ root: path.join(t.dir, 'a'), clock });
  receiver = createArtifactStore({ root: path.join(t.dir, 'b'), clock });
  await makeTree(path.join(t.dir, 'out'), {
    'index.js': 'console.log("hi")\n',
    'bin/start': { content: '#!/bin/sh\nexec node index.js\n', mode: 0o755 },
    '@scoped/pkg.json': '{}\n',
    current: { link: 'index.js' },
  });
});
afterEach(async () => {
  await t.cleanup();
});

async function bytesOf(stream: Readable): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of stream) chunks.push(Buffer.from(chunk as Uint8Array));
  return Buffer.concat(chunks);
}

async function tmpNames(store: ArtifactStore): Promise<string[]> {
  return readdir(path.join(store.root, 'tmp'));
}

describe('moving an artifact between stores', () => {
  it('arrives with the same digest, modes and links, and verifies', async () => {
    const ref = await sender.put(path.join(t.dir, 'out'));
    const { ref: got, received } = await receiver.receive(ref.digest, await sender.pack(ref.digest));
    expect(received).toBe(true);
    expect(got).toMatchObject({ digest: ref.digest, files: 4, sizeBytes: ref.sizeBytes });
    await expect(receiver.verify(ref.digest)).resolves.toMatchObject({ digest: ref.digest });
    expect(await readFile(path.join(got.path, 'current'), 'utf8')).toContain('console.log');
  });

  it('does not write an artifact it already has', async () => {
    const ref = await sender.put(path.join(t.dir, 'out'));
    await receiver.receive(ref.digest, await sender.pack(ref.digest));
    const again = await receiver.receive(ref.digest, await sender.pack(ref.digest));
    expect(again.received).toBe(false);
    expect(await tmpNames(receiver)).toEqual([]);
  });

  it('refuses content that does not hash to the claimed digest, keeping nothing', async () => {
    const ref = await sender.put(path.join(t.dir, 'out'));
    const good = await bytesOf(await sender.pack(ref.digest));
    // Flip one byte of a file's content (past the first 512-byte header).
    const tampered = Buffer.from(good);
    const at = tampered.indexOf('console.log');
    tampered[at] = 'C'.charCodeAt(0);
    await expect(receiver.receive(ref.digest, Readable.from([tampered]))).rejects.toMatchObject({
      code: 'FLOWLINE_ARTIFACT_UPLOAD_REJECTED',
      message: expect.stringContaining('not to the digest it claims'),
    });
    expect(await receiver.get(ref.digest)).toBeUndefined();
    expect(await tmpNames(receiver)).toEqual([]);
  });

  it('refuses a truncated archive', async () => {
    const ref = await sender.put(path.join(t.dir, 'out'));
    const good = await bytesOf(await sender.pack(ref.digest));
    await expect(receiver.receive(ref.digest, Readable.from([good.subarray(0, 1200)]))).rejects.toMatchObject(
      { code: 'FLOWLINE_ARTIFACT_UPLOAD_REJECTED' },
    );
    expect(await receiver.list()).toEqual([]);
  });

  it('refuses an archive larger than the limit', async () => {
    const ref = await sender.put(path.join(t.dir, 'out'));
    await expect(
      receiver.receive(ref.digest, await sender.pack(ref.digest), { maxBytes: 1024 }),
    ).rejects.toMatchObject({ code: 'FLOWLINE_REQUEST_TOO_LARGE' });
    expect(await receiver.list()).toEqual([]);
  });

  it('answers not found when packing an unknown digest', async () => {
    await expect(sender.pack(`sha256:${'0'.repeat(64)}`)).rejects.toMatchObject({
      code: 'FLOWLINE_ARTIFACT_NOT_FOUND',
    });
  });
});
