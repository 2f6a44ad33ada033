import { readFile } from 'node:fs/promises';
import { Ajv2020 } from 'ajv/dist/2020.js';
import addFormats from 'ajv-formats';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { configJsonSchema, parseConfig } from './index.js';

const EXAMPLE = new URL('../../examples/hello/flowline.yaml', import.meta.url);

type Schema = {
  properties: Record<string, Schema>;
  additionalProperties?: unknown;
  description?: string;
  required?: string[];
  [key: string]: unknown;
};

describe('configJsonSchema', () => {
  const schema = configJsonSchema() as Schema;

  it('is a draft 2020-12 document with an id and a title', () => {
    expect(schema.$schema).toBe('https://json-schema.org/draft/2020-12/schema');
    expect(schema.$id).toBe('urn:flowline:schema:flowline.yaml:v1');
    expect(schema.title).toBe('flowline.yaml');
    expect(schema.required).toEqual(['version', 'service']);
  });

  it('refuses unknown keys and describes the sections for editors', () => {
    expect(schema.additionalProperties).toBe(false);
    expect(Object.keys(schema.properties)).toEqual(
      expect.arrayContaining(['build', 'stages', 'run', 'environments', 'analysis', 'segments', 'flags']),
    );
    for (const [key, section] of Object.entries(schema.properties)) {
      expect(section.description, `properties.${key}.description`).toBeTruthy();
    }
    const stage = schema.properties.stages?.additionalProperties as Schema;
    expect(stage.additionalProperties).toBe(false);
    expect(stage.properties.needs?.default).toEqual(['build']);
  });

  it('publishes durations as strings with a pattern', () => {
    const timeout = schema.properties.build?.properties.timeout;
    expect(timeout).toMatchObject({ type: 'string', default: '30m' });
    expect(new RegExp(String(timeout?.pattern)).test('1h30m')).toBe(true);
  });

  it('compiles in a strict validator and agrees with the parser on samples', async () => {
    const ajv = new Ajv2020({ strict: true, allErrors: true, strictTypes: false });
    addFormats.default(ajv);
    const validate = ajv.compile(schema);
    const samples = [
      await readFile(EXAMPLE, 'utf8'),
      'version: 1\nservice: shop\n',
      'version: 1\nservice: shop\nstagse: {}\n',
      'version: 1\nservice: Shop\n',
      'version: 2\nservice: shop\n',
      'version: 1\nservice: shop\nbuild: { timeout: 30 }\n',
      'version: 1\nservice: shop\nrun: { command: x, instances: 0 }\n',
      'version: 1\nservice: shop\nrun: { command: x }\nenvironments: { prod: { strategy: { canary: { steps: [{ setWeight: 5, pause: {} }] } } } }\n',
      'version: 1\nservice: shop\nflags: { f: { type: bool } }\n',
    ];
    for (const text of samples) {
      const parsed = parseConfig(text, 'flowline.yaml');
      expect(validate(parse(text)), text).toBe(parsed.ok);
    }
  });
});

describe('the example service', () => {
  it('ships the current schema beside its flowline.yaml (regenerate: flowline schema -o examples/hello/flowline.schema.json)', async () => {
    const shipped = await readFile(
      new URL('../../examples/hello/flowline.schema.json', import.meta.url),
      'utf8',
    );
    expect(JSON.parse(shipped)).toEqual(configJsonSchema());
  });
});
