import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import { FlowlineError } from '../../core/errors.js';

/** How old a signed webhook may be; also how long its signature is remembered against replays. */
export const MAX_WEBHOOK_AGE_MS = 5 * 60_000;

/** A new webhook secret: `whsec_` and 32 random bytes in base64url. */
export function newWebhookSecret(): string {
  return `whsec_${randomBytes(32).toString('base64url')}`;
}

/**
 * The signature a sender puts in `X-Flowline-Signature`: `sha256=` and the hex HMAC-SHA256 of
 * `<timestamp>.<raw body>` with the trigger's secret. The timestamp (Unix seconds, also sent in
 * `X-Flowline-Timestamp`) is signed too, so a captured request cannot be re-dated.
 */
export function signWebhook(secret: string, timestamp: string, body: Buffer | string): string {
  const hmac = createHmac('sha256', secret);
  hmac.update(`${timestamp}.`, 'utf8');
  hmac.update(body);
  return `sha256=${hmac.digest('hex')}`;
}

/** Constant-time comparison of a presented signature with the expected one. */
export function sameSignature(presented: string, expected: string): boolean {
  const a = Buffer.from(presented, 'utf8');
  const b = Buffer.from(expected, 'utf8');
  return a.length === b.length && timingSafeEqual(a, b);
}

export function signatureError(message: string): FlowlineError {
  return new FlowlineError('FLOWLINE_WEBHOOK_SIGNATURE', message, {
    hint: 'Send X-Flowline-Timestamp (Unix seconds) and X-Flowline-Signature: sha256=<hex HMAC-SHA256 of "<timestamp>.<raw body>" with the trigger secret>.',
  });
}

/**
 * Remembers the signatures accepted in the last five minutes: a request replayed inside the
 * allowed clock skew is refused too. Bounded: the oldest entries go first.
 */
export class ReplayGuard {
  private readonly seen = new Map<string, number>();

  constructor(private readonly capacity = 10_000) {}

  /** False when `signature` was already accepted and has not expired; records it otherwise. */
  accept(signature: string, nowMs: number): boolean {
    for (const [key, expires] of this.seen) {
      if (expires > nowMs && this.seen.size <= this.capacity) break;
      this.seen.delete(key);
    }
    if (this.seen.has(signature)) return false;
    this.seen.set(signature, nowMs + MAX_WEBHOOK_AGE_MS);
    return true;
  }
}
