import { randomBytes } from 'node:crypto';
import { readdir, stat } from 'node:fs/promises';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { tempDir } from '../artifacts/testing.js';
import type { FlowlineError } from '../core/errors.js';
import { createSecretBox, type Sealed, secretAad } from './box.js';
import { type KeySource, keySource } from './key.js';

const envSource = (): KeySource =>
  keySource({ home: '/nowhere', secretKey: randomBytes(32).toString('base64'), secretKeyFile: undefined });

const failure = async (promise: Promise<unknown>): Promise<FlowlineError> => {
  try {
    await promise;
  } catch (error) {
    return error as FlowlineError;
  }
  throw new Error('expected a rejection');
};

const AAD = secretAad('secret', 'svc_1', 'production', 'DATABASE_URL');

describe('the secret box', () => {
  it('opens what it sealed, for any text up to 64 KiB', async () => {
    const box = createSecretBox(envSource());
    for (const value of ['postgres://u:p@db/shop', 'ünïcødé 🔑', 'x'.repeat(64 * 1024)]) {
      expect(await box.open(await box.seal(value, AAD), AAD)).toBe(value);
    }
  });

  it('uses a fresh 12-byte nonce for every seal, so equal values do not look equal', async () => {
    const box = createSecretBox(envSource());
    const a = await box.seal('same value', AAD);
    const b = await box.seal('same value', AAD);
    expect(Buffer.from(a.nonce, 'base64')).toHaveLength(12);
    expect(a.nonce).not.toBe(b.nonce);
    expect(a.ciphertext).not.toBe(b.ciphertext);
    expect(Buffer.from(a.ciphertext, 'base64').toString('latin1')).not.toContain('same value');
  });

  it('refuses a value opened under another identity (AAD): a ciphertext copied to another row', async () => {
    const box = createSecretBox(envSource());
    const sealed = await box.seal('hunter2', AAD);
    for (const other of [
      secretAad('secret', 'svc_1', 'production', 'API_KEY'),
      secretAad('secret', 'svc_1', 'staging', 'DATABASE_URL'),
      secretAad('secret', 'svc_2', 'production', 'DATABASE_URL'),
      secretAad('trigger', 'svc_1', 'production', 'DATABASE_URL'),
    ]) {
      const error = await failure(box.open(sealed, other));
      expect(error.code).toBe('FLOWLINE_SECRET_TAMPERED');
      expect(error.message).not.toContain('hunter2');
    }
  });

  it('refuses an altered or truncated ciphertext and a wrong nonce', async () => {
    const box = createSecretBox(envSource());
    const sealed = await box.seal('hunter2', AAD);
    const bytes = Buffer.from(sealed.ciphertext, 'base64');
    bytes[0] = (bytes[0] ?? 0) ^ 1;
    const variants: Sealed[] = [
      { ...sealed, ciphertext: bytes.toString('base64') },
      { ...sealed, ciphertext: Buffer.from(sealed.ciphertext, 'base64').subarray(0, 10).toString('base64') },
      { ...sealed, nonce: randomBytes(12).toString('base64') },
      { ...sealed, nonce: randomBytes(8).toString('base64') },
    ];
    for (const variant of variants) {
      expect((await failure(box.open(variant, AAD))).code).toBe('FLOWLINE_SECRET_TAMPERED');
    }
  });

  it('refuses a value sealed with another key by its key id, naming both ids', async () => {
    const sealer = createSecretBox(envSource());
    const other = envSource();
    const sealed = await sealer.seal('hunter2', AAD);
    const error = await failure(createSecretBox(other).open(sealed, AAD));
    expect(error.code).toBe('FLOWLINE_SECRET_KEY_MISMATCH');
    expect(error.message).toContain(sealed.keyId);
    expect(other.kind === 'env' && error.message.includes(other.key.id)).toBe(true);
    expect(error.message).toContain('FLOWLINE_SECRET_KEY');
    expect(error.hint).toContain('FLOWLINE_SECRET_KEY_FILE');
    expect(error.message).not.toContain('hunter2');
  });

  it('refuses the id check too (expectKey) without sealing anything', async () => {
    const box = createSecretBox(envSource());
    const sealed = await box.seal('v', AAD);
    await expect(box.expectKey(sealed.keyId)).resolves.toBeUndefined();
    expect((await failure(box.expectKey('0123456789abcdef'))).code).toBe('FLOWLINE_SECRET_KEY_MISMATCH');
  });

  it('keeps AADs of different identities apart: no part may hold a NUL', () => {
    expect(secretAad('trigger', 'shop', 'production', 'hook')).toBe('trigger\0shop\0production\0hook');
    expect(() => secretAad('secret', 'a\0b', 'c', 'D')).toThrow(/NUL/);
  });
});

describe('the secret box over a key file', () => {
  let t: Awaited<ReturnType<typeof tempDir>>;
  let file: string;
  beforeEach(async () => {
    t = await tempDir('flowline-box-');
    file = path.join(t.dir, 'home', 'secret.key');
  });
  afterEach(async () => {
    await t.cleanup();
  });

  it('creates the key file 0600 on the first seal, and opens with it after a restart', async () => {
    const source = keySource({
      home: path.join(t.dir, 'home'),
      secretKey: undefined,
      secretKeyFile: undefined,
    });
    expect(source).toEqual({ kind: 'file', file });
    const sealed = await createSecretBox(source).seal('hunter2', AAD);
    expect((await stat(file)).mode & 0o777).toBe(0o600);
    expect((await stat(file)).size).toBe(32);
    expect(await createSecretBox(source).open(sealed, AAD)).toBe('hunter2');
  });

  it('never creates a key to open a value: a missing key file is a key mismatch', async () => {
    const source: KeySource = { kind: 'file', file };
    const sealed = await createSecretBox(envSource()).seal('hunter2', AAD);
    const error = await failure(createSecretBox(source).open(sealed, AAD));
    expect(error.code).toBe('FLOWLINE_SECRET_KEY_MISMATCH');
    expect(error.message).toContain('does not exist');
    expect(await readdir(t.dir)).toEqual([]);
  });
});
