import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';
import { FlowlineError } from '../core/errors.js';
import { describeSource, ensureKeyFile, type KeySource, readKeyFile, type SecretKey } from './key.js';

const ALGORITHM = 'aes-256-gcm';
const NONCE_BYTES = 12;
const TAG_BYTES = 16;

/** A sealed value as stored: base64 text (the store keeps portable column types only). */
export interface Sealed {
  /** The AES-256-GCM ciphertext followed by its 16-byte tag, base64. */
  readonly ciphertext: string;
  /** The 12-byte nonce, base64; random for every seal. */
  readonly nonce: string;
  /** The id of the key it was sealed with (see key.ts `keyId`). */
  readonly keyId: string;
}

/**
 * Seals and opens values with AES-256-GCM under the one key of this Flowline. The AAD names what a
 * value is for and whose it is (see {@link secretAad}): a ciphertext copied to another row does not
 * authenticate there. Opening with another key than the value's is refused by the key id, before
 * any decryption is tried.
 */
export interface SecretBox {
  /** Seals `plaintext` bound to `aad`; creates the key file on first use (see key.ts). */
  seal(plaintext: string, aad: string): Promise<Sealed>;
  /**
   * Opens a value sealed with the same `aad`. Throws FLOWLINE_SECRET_KEY_MISMATCH when the key in
   * use is not the value's (or there is none), FLOWLINE_SECRET_TAMPERED when it does not authenticate.
   */
  open(sealed: Sealed, aad: string): Promise<string>;
  /**
   * Throws FLOWLINE_SECRET_KEY_MISMATCH unless the key in use has id `keyId`; never creates a key.
   * Sealing checks this against the values already stored, so a lost key file is reported rather
   * than silently replaced by a new key.
   */
  expectKey(keyId: string): Promise<void>;
}

/**
 * The AAD of a value: its purpose and identity joined by NUL (`secret\0<service>\0<env>\0<name>`).
 * Parts may not contain NUL themselves, so two different identities never share an AAD.
 */
export function secretAad(purpose: 'secret' | 'trigger', ...parts: readonly string[]): string {
  if (parts.some((part) => part.includes('\0'))) {
    throw new FlowlineError('FLOWLINE_INTERNAL', `A ${purpose} identity part contains a NUL character.`);
  }
  return [purpose, ...parts].join('\0');
}

/** A box over a key source; the key is loaded (or the key file created) on first use, then kept. */
export function createSecretBox(source: KeySource): SecretBox {
  let loaded: SecretKey | undefined = source.kind === 'env' ? source.key : undefined;

  /** The key in use; with `create`, a missing key file is created. Undefined: no key file yet. */
  const currentKey = async (create: boolean): Promise<SecretKey | undefined> => {
    if (loaded !== undefined || source.kind === 'env') return loaded;
    loaded = create ? await ensureKeyFile(source.file) : await readKeyFile(source.file);
    return loaded;
  };

  const expectKey = async (id: string): Promise<SecretKey> => {
    const key = await currentKey(false);
    if (key?.id === id) return key;
    throw new FlowlineError(
      'FLOWLINE_SECRET_KEY_MISMATCH',
      key === undefined
        ? `Secret values here were sealed with key ${id}, but there is no key: ${describeSource(source)} does not exist.`
        : `Secret values here were sealed with key ${id}, but ${describeSource(source)} holds key ${key.id}.`,
      {
        hint: 'Give Flowline the key they were sealed with: FLOWLINE_SECRET_KEY (base64 of 32 bytes), else the key file FLOWLINE_SECRET_KEY_FILE (default <home>/secret.key); restore it from your backup. If that key is lost for good, remove those values (`flowline secret rm`) and set them again.',
      },
    );
  };

  return {
    async seal(plaintext, aad) {
      const key = await currentKey(true);
      if (key === undefined) throw new FlowlineError('FLOWLINE_INTERNAL', 'No secret key after creating it.');
      const nonce = randomBytes(NONCE_BYTES);
      const cipher = createCipheriv(ALGORITHM, key.bytes, nonce, { authTagLength: TAG_BYTES });
      cipher.setAAD(Buffer.from(aad, 'utf8'));
      const body = Buffer.concat([cipher.update(plaintext, 'utf8'), cipher.final(), cipher.getAuthTag()]);
      return { ciphertext: body.toString('base64'), nonce: nonce.toString('base64'), keyId: key.id };
    },

    async open(sealed, aad) {
      const key = await expectKey(sealed.keyId);
      const nonce = Buffer.from(sealed.nonce, 'base64');
      const body = Buffer.from(sealed.ciphertext, 'base64');
      if (nonce.length !== NONCE_BYTES || body.length < TAG_BYTES) throw tampered();
      try {
        const decipher = createDecipheriv(ALGORITHM, key.bytes, nonce, { authTagLength: TAG_BYTES });
        decipher.setAAD(Buffer.from(aad, 'utf8'));
        decipher.setAuthTag(body.subarray(body.length - TAG_BYTES));
        const plain = Buffer.concat([
          decipher.update(body.subarray(0, body.length - TAG_BYTES)),
          decipher.final(),
        ]);
        return plain.toString('utf8');
      } catch {
        throw tampered();
      }
    },

    async expectKey(id) {
      await expectKey(id);
    },
  };
}

function tampered(): FlowlineError {
  return new FlowlineError(
    'FLOWLINE_SECRET_TAMPERED',
    'A sealed value does not authenticate under its key: it was altered, or copied from another row.',
    { hint: 'Set the value again, and find out who changed the store (`flowline audit verify`).' },
  );
}
