import { hash, randomBytes } from 'node:crypto';

const SECRET_PREFIX = 'flt_';
/** `flt_` + 32 random bytes in base64url (43 characters, no padding). */
const SECRET_PATTERN = /^flt_[A-Za-z0-9_-]{43}$/;

/** A new token secret: 256 random bits, recognisable (and redactable) by its `flt_` prefix. */
export function newSecret(): string {
  return SECRET_PREFIX + randomBytes(32).toString('base64url');
}

export function isWellFormedSecret(value: string): boolean {
  return SECRET_PATTERN.test(value);
}

/**
 * What the store keeps instead of the secret. A plain sha256 suffices: slow hashes (bcrypt,
 * argon2) protect low-entropy passwords from guessing, but a 256-bit random secret cannot be
 * guessed from its hash, and a fast hash keeps per-request authentication to one index lookup.
 */
export function hashSecret(secret: string): string {
  // The one-shot `hash` (Node ≥ 20.12) is a third of `createHash(…).update(…).digest(…)`: it runs
  // on every authenticated request (docs/adr/0014-token-cache.md). Strings are hashed as UTF-8.
  return hash('sha256', secret, 'hex');
}

/** `flt_` and the next 8 characters: enough to tell tokens apart in a list, useless to an attacker. */
export function displayPrefix(secret: string): string {
  return secret.slice(0, SECRET_PREFIX.length + 8);
}
