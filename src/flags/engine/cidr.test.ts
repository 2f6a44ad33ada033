import { createRequire } from 'node:module';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { inRange, parseIpRange } from './cidr.js';
import { compileFlagSet } from './compile.js';
import { evaluate } from './evaluate.js';

// The library unleash-client uses for IN_CIDR and remoteAddress, loaded to check our parser against.
const require = createRequire(import.meta.url);
interface Address {
  correctForm(): string;
  isInSubnet(other: Address): boolean;
}
type AddressClass = { new (text: string): Address; isValid(text: string): boolean };
const { Address4, Address6 } = require('ip-address') as { Address4: AddressClass; Address6: AddressClass };

/** unleash-client's CidrOperator for one range. */
function unleashInCidr(value: string, range: string): boolean {
  for (const Family of [Address4, Address6]) {
    if (!Family.isValid(value)) continue;
    if (!Family.isValid(range)) return false;
    const address = new Family(value);
    const subnet = new Family(range);
    return address.correctForm() === subnet.correctForm() || address.isInSubnet(subnet);
  }
  return false;
}

function oursInCidr(value: string, range: string): boolean {
  const address = parseIpRange(value);
  const parsed = parseIpRange(range);
  return address !== undefined && parsed !== undefined && inRange(address, parsed);
}

const octet = fc.oneof(fc.integer({ min: 0, max: 255 }).map(String), fc.constantFrom('01', '256', '00', ''));
const v4 = fc.tuple(octet, octet, octet, octet).map((parts) => parts.join('.'));
const group = fc.oneof(
  fc.integer({ min: 0, max: 0xffff }).map((n) => n.toString(16)),
  fc.constantFrom('0', '00000', 'g', 'FFFF'),
);
const v6 = fc.oneof(
  fc.array(group, { minLength: 8, maxLength: 8 }).map((g) => g.join(':')),
  fc
    .tuple(fc.array(group, { maxLength: 4 }), fc.array(group, { maxLength: 4 }))
    .map(([a, b]) => `${a.join(':')}::${b.join(':')}`),
  fc.tuple(fc.array(group, { maxLength: 3 }), v4).map(([a, tail]) => `${a.join(':')}::${tail}`),
  fc.constantFrom('::', '::1', '1:::2', '::ffff:10.0.0.1', 'fe80::1%eth0', ':1::', '1::2::3'),
);
const address = fc.oneof(v4, v6);
const withPrefix = fc
  .tuple(address, fc.option(fc.integer({ min: 0, max: 130 })))
  .map(([a, p]) => (p === null ? a : `${a}/${p}`));

describe('inCidr', () => {
  it('parses and matches addresses exactly as ip-address does for unleash-client', () => {
    fc.assert(
      fc.property(withPrefix, withPrefix, (value, range) => {
        expect(parseIpRange(value) !== undefined, value).toBe(
          Address4.isValid(value) || Address6.isValid(value),
        );
        expect(oursInCidr(value, range), `${value} in ${range}`).toBe(unleashInCidr(value, range));
      }),
      { numRuns: 5000 },
    );
  });

  it('matches IPv4 and IPv6 ranges, and never mixes the families', () => {
    const set = compileFlagSet({
      flags: {
        office: {
          type: 'boolean',
          variants: { on: true, off: false },
          defaultVariant: 'off',
          enabled: true,
          rules: [
            {
              when: { attribute: 'remoteAddress', op: 'inCidr', values: ['10.0.0.0/8', '2001:db8::/32'] },
              serve: { variant: 'on' },
            },
          ],
        },
      },
    });
    if (!set.ok) throw new Error(JSON.stringify(set.errors));
    const on = (remoteAddress: unknown) => evaluate(set.flagSet, 'office', { remoteAddress }).value;
    expect(on('10.200.3.4')).toBe(true);
    expect(on('11.0.0.1')).toBe(false);
    expect(on('2001:db8:ffff::1')).toBe(true);
    expect(on('2001:db9::1')).toBe(false);
    expect(on('::ffff:10.0.0.1')).toBe(false);
    expect(on('not an address')).toBe(false);
    expect(on(167772161)).toBe(false);
  });

  it('refuses a value that is not an address or range when the flag set is written', () => {
    const set = compileFlagSet({
      flags: {
        f: {
          type: 'boolean',
          variants: { on: true, off: false },
          defaultVariant: 'off',
          enabled: true,
          rules: [
            { when: { attribute: 'ip', op: 'inCidr', values: ['10.0.0.0/33'] }, serve: { variant: 'on' } },
          ],
        },
      },
    });
    expect(set.ok).toBe(false);
    expect(set.errors[0]).toMatchObject({ code: 'invalid_cidr', path: 'flags.f.rules[0].when.values[0]' });
  });
});
