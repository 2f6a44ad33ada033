/**
 * IP addresses and CIDR ranges for the `inCidr` operator. The parsing rules are those of the
 * `ip-address` library that unleash-client uses for `IN_CIDR` and the `remoteAddress` strategy, so
 * an imported Unleash rule accepts exactly the addresses Unleash accepts:
 *
 * - IPv4: four decimal octets 0–255 without leading zeros, optionally `/0`–`/32` (one or two digits).
 * - IPv6: up to eight hex groups of at most four digits, one `::`, an optional dotted IPv4 tail, an
 *   optional `/0`–`/128` and an optional zone (`%eth0`, ignored).
 *
 * An address with a prefix of its own (`10.1.0.0/16`) is inside a range when its prefix is at least
 * as long and its first bits are the range's; equal addresses always match. IPv4 and IPv6 never
 * match each other (as in ip-address: `::ffff:10.0.0.1` is not inside `10.0.0.0/8`).
 */

export interface IpRange {
  readonly family: 4 | 6;
  readonly bits: bigint;
  readonly prefix: number;
}

const V4_OCTET = '(25[0-5]|2[0-4][0-9]|1[0-9][0-9]|[1-9]?[0-9])';
const V4 = new RegExp(`^${V4_OCTET}\\.${V4_OCTET}\\.${V4_OCTET}\\.${V4_OCTET}$`);
const V4_SUFFIX = /\/(\d{1,2})$/;
const V6_SUFFIX = /\/(\d{1,3})(?=%|$)/;
const V6_BAD_CHARACTERS = /[^0-9a-f:/%]/i;
const V6_BAD_ADDRESS = /[0-9a-f]{5,}|:{3,}|[^:]:$|^:[^:]|\/$/i;

/** Parses an IPv4 or IPv6 address or range; undefined when ip-address would refuse it. */
export function parseIpRange(text: string): IpRange | undefined {
  if (text.length > 64) return undefined;
  return parse4(text) ?? parse6(text);
}

function parse4(text: string): IpRange | undefined {
  let address = text;
  let prefix = 32;
  const suffix = V4_SUFFIX.exec(address);
  if (suffix !== null) {
    prefix = Number(suffix[1]);
    if (prefix > 32) return undefined;
    address = address.slice(0, suffix.index);
  }
  const bits = v4Bits(address);
  return bits === undefined ? undefined : { family: 4, bits, prefix };
}

function v4Bits(address: string): bigint | undefined {
  if (address.length > 15) return undefined;
  const match = V4.exec(address);
  if (match === null) return undefined;
  let bits = 0n;
  for (let i = 1; i <= 4; i++) bits = (bits << 8n) | BigInt(match[i] as string);
  return bits;
}

function parse6(text: string): IpRange | undefined {
  let address = text;
  let prefix = 128;
  const suffix = V6_SUFFIX.exec(address);
  if (suffix !== null) {
    prefix = Number(suffix[1]);
    if (prefix > 128) return undefined;
    address = address.slice(0, suffix.index) + address.slice(suffix.index + suffix[0].length);
  }
  if (address.includes('/')) return undefined;
  const zone = address.indexOf('%');
  if (zone !== -1 && !/[\n\r\u2028\u2029]/.test(address.slice(zone))) address = address.slice(0, zone);
  if (address.length > 45) return undefined;
  const groups = address.split(':');
  const last = groups.at(-1) as string;
  if (address.includes('.')) {
    const octets = last.split('.');
    if (octets.length === 4 && octets.every((o) => /^\d{1,3}$/.test(o)) && octets.some((o) => /^0\d/.test(o)))
      return undefined;
    const v4 = V4.test(last) ? v4Bits(last) : undefined;
    if (v4 !== undefined) {
      groups[groups.length - 1] = `${(v4 >> 16n).toString(16)}:${(v4 & 0xffffn).toString(16)}`;
      address = groups.join(':');
    }
  }
  if (V6_BAD_CHARACTERS.test(address) || V6_BAD_ADDRESS.test(address)) return undefined;
  const halves = address.split('::');
  let parts: string[];
  if (halves.length === 2) {
    const first = halves[0] === '' ? [] : (halves[0] as string).split(':');
    const rest = halves[1] === '' ? [] : (halves[1] as string).split(':');
    const missing = 8 - first.length - rest.length;
    if (missing === 0) return undefined;
    parts = [...first, ...Array.from({ length: Math.max(missing, 0) }, () => '0'), ...rest];
  } else if (halves.length === 1) {
    parts = address.split(':');
  } else {
    return undefined;
  }
  if (parts.length !== 8) return undefined;
  let bits = 0n;
  for (const part of parts) {
    // ip-address reads a group with parseInt: an empty group is NaN, which it then refuses.
    if (part === '' || part.includes('%') || part.includes('/')) return undefined;
    bits = (bits << 16n) | BigInt(Number.parseInt(part, 16));
  }
  return { family: 6, bits, prefix };
}

/** True when `address` equals `range`'s address or lies inside it (see the module comment). */
export function inRange(address: IpRange, range: IpRange): boolean {
  if (address.family !== range.family) return false;
  if (address.bits === range.bits) return true;
  if (address.prefix < range.prefix) return false;
  const width = address.family === 4 ? 32n : 128n;
  const shift = width - BigInt(range.prefix);
  return address.bits >> shift === range.bits >> shift;
}
