import { createHash, randomBytes } from 'node:crypto';
import { mkdir, readdir, readFile, stat, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { tempDir } from '../artifacts/testing.js';
import { FlowlineError } from '../core/errors.js';
import { loadSettings } from '../core/settings.js';
import { ensureKeyFile, keyId, keySource, readKeyFile } from './key.js';

const thrown = (fn: () => unknown): FlowlineError => {
  try {
    fn();
  } catch (error) {
    if (error instanceof FlowlineError) return error;
    throw error;
  }
  throw new Error('expected a FlowlineError');
};

describe('the key from FLOWLINE_SECRET_KEY', () => {
  it('takes base64 (standard or URL-safe) of exactly 32 bytes', () => {
    const bytes = randomBytes(32);
    for (const text of [
      bytes.toString('base64'),
      bytes.toString('base64url'),
      ` ${bytes.toString('base64')}\n`,
    ]) {
      const source = keySource(loadSettings({ FLOWLINE_SECRET_KEY: text }, '/work'));
      expect(source.kind === 'env' && source.key.bytes.equals(bytes)).toBe(true);
    }
  });

  it('refuses anything else as FLOWLINE_SETTING_INVALID, without quoting it', () => {
    for (const text of [
      'correct horse battery staple',
      randomBytes(31).toString('base64'),
      randomBytes(33).toString('base64'),
      randomBytes(32).toString('hex'),
      `${randomBytes(32).toString('base64').slice(0, 42)}!=`,
    ]) {
      const error = thrown(() => keySource(loadSettings({ FLOWLINE_SECRET_KEY: text }, '/work')));
      expect(error.code).toBe('FLOWLINE_SETTING_INVALID');
      expect(error.message).toContain('FLOWLINE_SECRET_KEY');
      expect(`${error.message} ${error.hint}`).not.toContain(text.trim());
    }
  });

  it('has an id that is not a plain hash of the key', () => {
    const bytes = randomBytes(32);
    expect(keyId(bytes)).toMatch(/^[0-9a-f]{16}$/);
    expect(keyId(bytes)).not.toBe(createHash('sha256').update(bytes).digest('hex').slice(0, 16));
    expect(keyId(bytes)).not.toBe(keyId(randomBytes(32)));
  });
});

describe('the key file', () => {
  let t: Awaited<ReturnType<typeof tempDir>>;
  beforeEach(async () => {
    t = await tempDir('flowline-key-');
  });
  afterEach(async () => {
    await t.cleanup();
  });

  it('defaults to <home>/secret.key, follows FLOWLINE_SECRET_KEY_FILE (relative to the working folder)', () => {
    expect(keySource(loadSettings({ FLOWLINE_HOME: 'state' }, '/work'))).toEqual({
      kind: 'file',
      file: '/work/state/secret.key',
    });
    expect(keySource(loadSettings({ FLOWLINE_SECRET_KEY_FILE: 'keys/flowline.key' }, '/work'))).toEqual({
      kind: 'file',
      file: '/work/keys/flowline.key',
    });
  });

  it('is created with 32 random bytes, mode 0600, in a 0700 folder', async () => {
    const file = path.join(t.dir, 'new-home', 'secret.key');
    const key = await ensureKeyFile(file);
    const content = await readFile(file);
    expect(content).toHaveLength(32);
    expect(key.bytes.equals(content)).toBe(true);
    expect((await stat(file)).mode & 0o777).toBe(0o600);
    expect((await stat(path.dirname(file))).mode & 0o777).toBe(0o700);
    expect(await readdir(path.dirname(file))).toEqual(['secret.key']); // no temp file left
  });

  it('is never replaced: an existing key file is read as it is', async () => {
    const file = path.join(t.dir, 'secret.key');
    const bytes = randomBytes(32);
    await writeFile(file, bytes, { mode: 0o600 });
    expect((await ensureKeyFile(file)).bytes.equals(bytes)).toBe(true);
    expect((await readFile(file)).equals(bytes)).toBe(true);
  });

  it('may hold the key as base64 text', async () => {
    const file = path.join(t.dir, 'secret.key');
    const bytes = randomBytes(32);
    await writeFile(file, `${bytes.toString('base64')}\n`);
    expect((await readKeyFile(file))?.bytes.equals(bytes)).toBe(true);
  });

  it('refuses a key file of the wrong size instead of using it', async () => {
    const file = path.join(t.dir, 'secret.key');
    await writeFile(file, randomBytes(16));
    await expect(ensureKeyFile(file)).rejects.toMatchObject({ code: 'FLOWLINE_SETTING_INVALID' });
    expect(await readFile(file)).toHaveLength(16);
  });

  it('created by many at once ends as one key that all of them use', async () => {
    const dir = path.join(t.dir, 'race');
    await mkdir(dir);
    const file = path.join(dir, 'secret.key');
    const keys = await Promise.all(Array.from({ length: 16 }, () => ensureKeyFile(file)));
    const onDisk = await readFile(file);
    expect(new Set(keys.map((k) => k.id)).size).toBe(1);
    expect(keys.every((k) => k.bytes.equals(onDisk))).toBe(true);
    expect(await readdir(dir)).toEqual(['secret.key']);
  });
});
