import { randomBytes } from 'node:crypto';

/**
 * A new record id: `<prefix>_<time><random>`. The time part (milliseconds, base 36, fixed width)
 * makes ids sort by creation time, which keeps listings and logs readable; 64 random bits make
 * collisions between processes negligible.
 */
export function newId(prefix: string, now: Date = new Date()): string {
  const time = now.getTime().toString(36).padStart(9, '0');
  return `${prefix}_${time}${randomBytes(8).toString('hex')}`;
}
