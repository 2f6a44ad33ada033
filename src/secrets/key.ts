import { createHash, randomBytes } from 'node:crypto';
import { link, mkdir, open, readFile, rm } from 'node:fs/promises';
import path from 'node:path';
import { FlowlineError } from '../core/errors.js';
import { counted } from '../core/plural.js';
import { type Settings, secretKeyFile } from '../core/settings.js';

/**
 * The key that seals secret values, kept outside the database: FLOWLINE_SECRET_KEY (base64 of 32
 * bytes) or a key file (FLOWLINE_SECRET_KEY_FILE, default `<home>/secret.key`) created on first
 * use. Nothing here ever puts the key, or any part of it, into a message.
 */

/** AES-256 needs exactly this many key bytes. */
export const KEY_BYTES = 32;

/** A loaded key. Only `id` may be shown or stored. */
export interface SecretKey {
  readonly bytes: Buffer;
  /** 16 hex characters identifying the key (see {@link keyId}); stored beside each value. */
  readonly id: string;
}

/** Where the key comes from: given in the environment (parsed at start) or kept in a file. */
export type KeySource =
  | { readonly kind: 'env'; readonly key: SecretKey }
  | { readonly kind: 'file'; readonly file: string };

/**
 * The key's id: the first 16 hex digits of SHA-256 over a domain-separated key. It tells keys apart
 * without revealing anything usable about them (the prefix keeps it from matching any other hash
 * of the same bytes).
 */
export function keyId(bytes: Buffer): string {
  return createHash('sha256').update('flowline secret key id\0').update(bytes).digest('hex').slice(0, 16);
}

/** The key source of these settings; a malformed FLOWLINE_SECRET_KEY is refused here, at start. */
export function keySource(settings: Pick<Settings, 'home' | 'secretKey' | 'secretKeyFile'>): KeySource {
  if (settings.secretKey !== undefined) {
    const bytes = decodeKey(settings.secretKey);
    if (bytes === undefined) {
      throw new FlowlineError(
        'FLOWLINE_SETTING_INVALID',
        `FLOWLINE_SECRET_KEY is not the base64 of exactly ${KEY_BYTES} bytes (it has ${counted(settings.secretKey.trim().length, 'character')}).`,
        {
          hint: 'Generate one with `openssl rand -base64 32`, or unset it to use the key file (FLOWLINE_SECRET_KEY_FILE, default <home>/secret.key).',
        },
      );
    }
    return { kind: 'env', key: { bytes, id: keyId(bytes) } };
  }
  return { kind: 'file', file: secretKeyFile(settings) };
}

/** Says where a source's key comes from, for messages and hints (never the key). */
export function describeSource(source: KeySource): string {
  return source.kind === 'env' ? 'FLOWLINE_SECRET_KEY' : `the key file ${source.file}`;
}

/** Reads the key file; undefined when it does not exist. */
export async function readKeyFile(file: string): Promise<SecretKey | undefined> {
  let content: Buffer;
  try {
    content = await readFile(file);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw badKeyFile(file, `it cannot be read (${(error as NodeJS.ErrnoException).code ?? 'error'})`);
  }
  // The file holds the raw bytes; base64 text is accepted too (a key handed over as text).
  const bytes = content.length === KEY_BYTES ? content : decodeKey(content.toString('latin1'));
  if (bytes === undefined) {
    throw badKeyFile(
      file,
      `it holds ${counted(content.length, 'byte')}, neither ${KEY_BYTES} raw bytes nor their base64`,
    );
  }
  return { bytes, id: keyId(bytes) };
}

/**
 * Reads the key file, creating it with 32 random bytes (mode 0600) when it does not exist. The new
 * key is written whole to a temporary file in the same folder and then hard-linked into place,
 * which fails if the name exists: a key file is never replaced, and of two processes creating it
 * at once both end up reading the one that won.
 */
export async function ensureKeyFile(file: string): Promise<SecretKey> {
  const existing = await readKeyFile(file);
  if (existing !== undefined) return existing;
  const dir = path.dirname(file);
  try {
    await mkdir(dir, { recursive: true, mode: 0o700 });
  } catch (error) {
    throw badKeyFile(
      file,
      `its folder cannot be created (${(error as NodeJS.ErrnoException).code ?? 'error'})`,
    );
  }
  const temp = path.join(dir, `.${path.basename(file)}.${process.pid}.${randomBytes(6).toString('hex')}.tmp`);
  try {
    const handle = await open(temp, 'wx', 0o600);
    try {
      await handle.writeFile(randomBytes(KEY_BYTES));
      await handle.sync();
    } finally {
      await handle.close();
    }
    await link(temp, file).catch((error: NodeJS.ErrnoException) => {
      if (error.code !== 'EEXIST') throw error; // another process won: use its key
    });
    await syncFolder(dir);
  } catch (error) {
    throw badKeyFile(file, `it cannot be created (${(error as NodeJS.ErrnoException).code ?? 'error'})`);
  } finally {
    await rm(temp, { force: true });
  }
  const created = await readKeyFile(file);
  if (created === undefined) throw badKeyFile(file, 'it disappeared right after it was created');
  return created;
}

/** Base64 (standard or URL-safe, padding optional) of exactly 32 bytes, else undefined. */
function decodeKey(text: string): Buffer | undefined {
  const trimmed = text.trim();
  if (!/^[A-Za-z0-9+/_-]{43}=?$/.test(trimmed)) return undefined;
  const bytes = Buffer.from(trimmed.replace(/-/g, '+').replace(/_/g, '/'), 'base64');
  return bytes.length === KEY_BYTES ? bytes : undefined;
}

/** Makes the link durable: a key lost in a power cut would make every value sealed with it unreadable. */
async function syncFolder(dir: string): Promise<void> {
  const handle = await open(dir, 'r').catch(() => undefined);
  if (handle === undefined) return;
  try {
    await handle.sync();
  } catch {
    // Some file systems cannot sync a folder; the file itself was synced.
  } finally {
    await handle.close();
  }
}

function badKeyFile(file: string, detail: string): FlowlineError {
  return new FlowlineError(
    'FLOWLINE_SETTING_INVALID',
    `The secret key file ${file} cannot be used: ${detail}.`,
    {
      hint: 'Restore the key file the secret values were sealed with (FLOWLINE_SECRET_KEY_FILE, default <home>/secret.key), or give the key in FLOWLINE_SECRET_KEY (base64 of 32 bytes).',
    },
  );
}
