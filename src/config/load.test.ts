import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { FlowlineError } from '../core/errors.js';
import { loadConfig, loadConfigOrThrow } from './index.js';

let dir: string;

beforeEach(async () => {
  dir = await mkdtemp(path.join(tmpdir(), 'flowline-config-'));
});

afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

async function thrown(promise: Promise<unknown>): Promise<FlowlineError> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  if (!(error instanceof FlowlineError)) throw new Error(`expected a FlowlineError, got ${String(error)}`);
  return error;
}

describe('loadConfig', () => {
  it('reads and validates a file, naming it as shown in the issues', async () => {
    const file = path.join(dir, 'flowline.yaml');
    await writeFile(file, 'version: 1\nservice: shop\nstagse: {}\n');
    const result = await loadConfig(file, 'flowline.yaml');
    expect(result.ok).toBe(false);
    expect(!result.ok && result.errors[0]).toMatchObject({ file: 'flowline.yaml', line: 3, column: 1 });
  });

  it('throws FLOWLINE_CONFIG_NOT_FOUND with a hint to run init when the file is missing', async () => {
    const error = await thrown(loadConfig(path.join(dir, 'flowline.yaml')));
    expect(error.code).toBe('FLOWLINE_CONFIG_NOT_FOUND');
    expect(error.hint).toMatch(/flowline init/);
  });

  it('throws FLOWLINE_CONFIG_UNREADABLE for a directory', async () => {
    await mkdir(path.join(dir, 'flowline.yaml'));
    const error = await thrown(loadConfig(path.join(dir, 'flowline.yaml'), 'flowline.yaml'));
    expect(error.code).toBe('FLOWLINE_CONFIG_UNREADABLE');
    expect(error.message).toBe('cannot read flowline.yaml: it is a directory');
  });
});

describe('loadConfigOrThrow', () => {
  it('returns the normalized config of a valid file', async () => {
    const file = path.join(dir, 'flowline.yaml');
    await writeFile(file, 'version: 1\nservice: shop\n');
    expect((await loadConfigOrThrow(file)).service).toBe('shop');
  });

  it('throws FLOWLINE_CONFIG_INVALID carrying every problem', async () => {
    const file = path.join(dir, 'flowline.yaml');
    await writeFile(file, 'version: 1\nservice: Shop\nstagse: {}\n');
    const error = await thrown(loadConfigOrThrow(file, 'flowline.yaml'));
    expect(error.code).toBe('FLOWLINE_CONFIG_INVALID');
    expect(error.message).toBe('2 problems in flowline.yaml');
    expect(error.issues.map((issue) => issue.code)).toEqual(['invalid_name', 'unknown_key']);
    expect(error.location).toEqual({ file: 'flowline.yaml', line: 2, column: 10 });
  });

  it('throws FLOWLINE_CONFIG_YAML when the file is not well-formed YAML', async () => {
    const file = path.join(dir, 'flowline.yaml');
    await writeFile(file, 'version: 1\nservice: "shop\n');
    const error = await thrown(loadConfigOrThrow(file, 'flowline.yaml'));
    expect(error.code).toBe('FLOWLINE_CONFIG_YAML');
    expect(error.message).toBe('1 problem in flowline.yaml (not valid YAML)');
    expect(error.issues[0]).toMatchObject({ line: 2, column: 10 });
  });

  it('throws FLOWLINE_CONFIG_TOO_LARGE for a file over 1 MiB, refused by its size before it is read', async () => {
    const file = path.join(dir, 'flowline.yaml');
    await writeFile(file, `version: 1\nservice: shop\n${'#'.repeat(1024 * 1024)}`);
    const result = await loadConfig(file, 'flowline.yaml');
    expect(!result.ok && result.errors).toEqual([
      expect.objectContaining({
        code: 'FLOWLINE_CONFIG_TOO_LARGE',
        file: 'flowline.yaml',
        line: 1,
        column: 1,
      }),
    ]);
    const error = await thrown(loadConfigOrThrow(file, 'flowline.yaml'));
    expect(error.code).toBe('FLOWLINE_CONFIG_TOO_LARGE');
    expect(error.kind).toBe('tooLarge');
  });

  it('throws FLOWLINE_NOT_SUPPORTED when the only problems are features not built yet', async () => {
    const file = path.join(dir, 'flowline.yaml');
    await writeFile(file, 'version: 1\nservice: shop\nnotify: { channels: {} }\n');
    const error = await thrown(loadConfigOrThrow(file, 'flowline.yaml'));
    expect(error.code).toBe('FLOWLINE_NOT_SUPPORTED');
    expect(error.issues).toMatchObject([{ code: 'FLOWLINE_NOT_SUPPORTED', path: 'notify', line: 3 }]);
    await writeFile(file, 'version: 1\nservice: Shop\nnotify: { channels: {} }\n');
    expect((await thrown(loadConfigOrThrow(file, 'flowline.yaml'))).code).toBe('FLOWLINE_CONFIG_INVALID');
  });

  it('says "more than 100 problems" when the list was cut', async () => {
    const file = path.join(dir, 'flowline.yaml');
    const keys = Array.from({ length: 150 }, (_, i) => `key${i}: ${i}`).join('\n');
    await writeFile(file, `version: 1\nservice: shop\n${keys}\n`);
    const error = await thrown(loadConfigOrThrow(file, 'flowline.yaml'));
    expect(error.message).toBe('more than 100 problems in flowline.yaml');
    expect(error.issues).toHaveLength(101);
  });
});
