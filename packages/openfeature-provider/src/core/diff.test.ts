import { describe, expect, it } from 'vitest';
import type { FlagDefinition, FlagSetDefinition } from '../engine.js';
import { changedFlags } from './diff.js';

const onOff = (enabled: boolean): FlagDefinition => ({
  type: 'boolean',
  variants: { on: true, off: false },
  defaultVariant: 'off',
  enabled,
});

const base: FlagSetDefinition = {
  segments: { staff: { include: ['alice'] }, beta: { include: ['bob'] } },
  flags: {
    plain: onOff(true),
    targeted: { ...onOff(true), rules: [{ when: { segment: 'staff' }, serve: { variant: 'on' } }] },
    scheduled: {
      ...onOff(false),
      schedule: [
        { at: 0, change: { rules: [{ when: { any: [{ segment: 'beta' }] }, serve: { variant: 'on' } }] } },
      ],
    },
  },
};

describe('which flags a new version changes', () => {
  it('is none for the same set with its keys in another order', () => {
    const reordered: FlagSetDefinition = {
      flags: Object.fromEntries(
        Object.entries(base.flags)
          .reverse()
          .map(([key, flag]) => [key, Object.fromEntries(Object.entries(flag).reverse())]),
      ) as FlagSetDefinition['flags'],
      segments: base.segments ?? {},
    };
    expect(changedFlags(base, reordered)).toEqual([]);
  });

  it('lists changed, added and removed flags', () => {
    const { plain: _removed, ...rest } = base.flags;
    const next = { ...base, flags: { ...rest, targeted: onOff(false), added: onOff(true) } };
    expect(changedFlags(base, next)).toEqual(['targeted', 'added', 'plain']);
  });

  it('lists the flags using a changed segment, in rules and in schedules', () => {
    expect(
      changedFlags(base, {
        ...base,
        segments: { staff: { include: ['carol'] }, beta: { include: ['bob'] } },
      }),
    ).toEqual(['targeted']);
    expect(changedFlags(base, { ...base, segments: { staff: { include: ['alice'] } } })).toEqual([
      'scheduled',
    ]);
  });

  it('lists every flag when the set metadata changes', () => {
    expect(changedFlags(base, { ...base, metadata: { team: 'checkout' } })).toEqual([
      'plain',
      'targeted',
      'scheduled',
    ]);
  });
});
