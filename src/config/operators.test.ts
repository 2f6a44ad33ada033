import { describe, expect, it } from 'vitest';
import { compileFlagSetOrThrow, evaluate, fromConfig, OPERATORS } from '../flags/index.js';
import { configJsonSchema, parseConfig } from './index.js';

/** flowline.yaml and the flag engine share one operator list: what the engine evaluates, the file takes. */

const YAML = `version: 1
service: shop
run: { command: node server.js }
environments:
  production: {}
flags:
  new-editor:
    environments:
      production:
        enabled: true
        rules:
          - { attribute: appVersion, op: semverGte, values: ["2.4.0"], variant: on }
`;

const withOp = (op: string, values = '["2.4.0"]') =>
  YAML.replace('op: semverGte, values: ["2.4.0"]', `op: ${op}, values: ${values}`);

describe('flag operators in flowline.yaml', () => {
  it('accepts semverGte and evaluates it as "at least this version"', () => {
    const parsed = parseConfig(YAML, 'flowline.yaml');
    if (!parsed.ok) throw new Error(JSON.stringify(parsed.errors));
    expect(parsed.warnings).toEqual([]);
    const flags = compileFlagSetOrThrow(fromConfig(parsed.config, 'production'));
    const on = (appVersion: string) => evaluate(flags, 'new-editor', { targetingKey: 'u', appVersion }).value;
    expect(on('2.4.0')).toBe(true);
    expect(on('2.10.1')).toBe(true);
    expect(on('2.3.9')).toBe(false);
    expect(on('2.4.0-beta.1')).toBe(false);
  });

  it('accepts every operator the engine evaluates', () => {
    for (const op of OPERATORS) {
      const parsed = parseConfig(withOp(op), 'flowline.yaml');
      const schemaErrors = parsed.ok ? [] : parsed.errors.filter((issue) => issue.code === 'invalid_value');
      expect(schemaErrors, op).toEqual([]);
    }
  });

  it('checks semverLte and semverGte values like the other version operators', () => {
    const issues = (text: string) => {
      const parsed = parseConfig(text, 'flowline.yaml');
      return parsed.ok ? [] : parsed.errors.map((issue) => `${issue.line}:${issue.column} ${issue.code}`);
    };
    expect(issues(withOp('semverLte', '["2.x"]'))).toEqual(['12:62 invalid_semver']);
    expect(issues(withOp('semverGte', '["2.4.0", "3.0.0"]'))).toEqual(['12:53 too_many_values']);
  });

  it('checks inCidr values as IP addresses or ranges, and evaluates them', () => {
    const issues = (text: string) => {
      const parsed = parseConfig(text, 'flowline.yaml');
      return parsed.ok ? [] : parsed.errors.map((issue) => issue.code);
    };
    expect(issues(withOp('inCidr', '["10.0.0.0/33"]'))).toEqual(['invalid_cidr']);
    const parsed = parseConfig(
      withOp('inCidr', '["10.0.0.0/8", "2001:db8::/32"]').replace('appVersion', 'ip'),
      'flowline.yaml',
    );
    if (!parsed.ok) throw new Error(JSON.stringify(parsed.errors));
    const flags = compileFlagSetOrThrow(fromConfig(parsed.config, 'production'));
    const on = (ip: string) => evaluate(flags, 'new-editor', { targetingKey: 'u', ip }).value;
    expect(on('10.9.8.7')).toBe(true);
    expect(on('2001:db8::1')).toBe(true);
    expect(on('11.0.0.1')).toBe(false);
  });

  it('refuses an unknown operator at its line and column, listing the valid ones', () => {
    const parsed = parseConfig(withOp('atLeast'), 'flowline.yaml');
    expect(parsed.ok).toBe(false);
    const [issue, ...rest] = parsed.ok ? [] : parsed.errors;
    expect(rest).toEqual([]);
    expect(issue).toMatchObject({
      code: 'invalid_value',
      file: 'flowline.yaml',
      line: 12,
      column: 42,
      path: 'flags.new-editor.environments.production.rules[0].op',
      hint: 'see docs/config.md for the allowed values',
    });
    for (const op of OPERATORS) expect(issue?.message).toContain(`\`${op}\``);
  });

  it('suggests the closest operator for a typo', () => {
    const parsed = parseConfig(withOp('semverGtee'), 'flowline.yaml');
    expect(parsed.ok ? [] : parsed.errors.map((issue) => issue.hint)).toEqual(['did you mean `semverGte`?']);
  });

  it('publishes the same list in the JSON Schema for editors', () => {
    const text = JSON.stringify(configJsonSchema());
    const enums = [...text.matchAll(/"enum":(\[[^\]]*\])/g)].map((m) => JSON.parse(m[1] ?? '[]') as string[]);
    const opEnums = enums.filter((values) => values.includes('semverEq'));
    expect(opEnums.length).toBeGreaterThan(0);
    for (const values of opEnums) expect(values).toEqual([...OPERATORS]);
  });
});
