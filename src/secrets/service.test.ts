import { randomBytes } from 'node:crypto';
import { readdir, stat } from 'node:fs/promises';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createFlowline, type Flowline } from '../app/flowline.js';
import { tempDir } from '../artifacts/testing.js';
import type { FlowlineError } from '../core/errors.js';
import { loadSettings } from '../core/settings.js';

// The secret service over a real store, wired by the composition root as `flowline serve` wires it.

const VALUE = 'postgres://shop:s3cr3t-Pa55@db.internal/shop';
const alice = { kind: 'user' as const, name: 'alice' };
const where = { host: 'test' };

let t: Awaited<ReturnType<typeof tempDir>>;
let key: string;
let flowline: Flowline;
const opened: Flowline[] = [];

const open = async (env: Record<string, string> = { FLOWLINE_SECRET_KEY: key }) => {
  const app = await createFlowline(loadSettings({ FLOWLINE_HOME: t.dir, ...env }, t.dir));
  opened.push(app);
  return app;
};

const failure = async (promise: Promise<unknown>): Promise<FlowlineError> => {
  try {
    await promise;
  } catch (error) {
    return error as FlowlineError;
  }
  throw new Error('expected a rejection');
};

/** Every row of every table, as text: where a value must never be. */
const everything = async (app: Flowline): Promise<string> => {
  const tables = (await app.store.db.introspection.getTables()).map((table) => table.name);
  const rows = [];
  for (const table of tables)
    rows.push(
      await app.store.db
        .selectFrom(table as 'secrets')
        .selectAll()
        .execute(),
    );
  return JSON.stringify(rows);
};

beforeEach(async () => {
  t = await tempDir('flowline-secrets-');
  key = randomBytes(32).toString('base64');
  flowline = await open();
  await flowline.catalog.ensureService('shop');
  await flowline.catalog.ensureService('billing');
});

afterEach(async () => {
  for (const app of opened.splice(0)) await app.close();
  await t.cleanup();
});

const set = (name: string, value: string, environment = 'production', service = 'shop', app = flowline) =>
  app.secrets.set({ service, environment, name, value }, alice, where);

describe('the secret service', () => {
  it('sets, lists by name with versions, resolves and removes, never listing a value', async () => {
    expect(await set('DATABASE_URL', 'first')).toMatchObject({ name: 'DATABASE_URL', version: 1 });
    expect(await set('DATABASE_URL', VALUE)).toMatchObject({ version: 2, updatedBy: 'alice' });
    await set('API_KEY', 'k-123');
    await set('API_KEY', 'staging-only', 'staging');

    const listed = await flowline.secrets.list('shop', 'production');
    expect(listed.map((s) => [s.name, s.version])).toEqual([
      ['API_KEY', 1],
      ['DATABASE_URL', 2],
    ]);
    expect(JSON.stringify(listed)).not.toContain(VALUE);

    expect(await flowline.secrets.resolve('shop', 'production', ['DATABASE_URL', 'API_KEY'])).toEqual({
      DATABASE_URL: VALUE,
      API_KEY: 'k-123',
    });
    expect(await flowline.secrets.resolve('shop', 'staging', ['API_KEY'])).toEqual({
      API_KEY: 'staging-only',
    });

    expect(await flowline.secrets.remove('shop', 'production', 'API_KEY', alice, where)).toMatchObject({
      name: 'API_KEY',
      version: 1,
    });
    expect((await flowline.secrets.list('shop', 'production')).map((s) => s.name)).toEqual(['DATABASE_URL']);
  });

  it('audits set and remove with service, environment, name and version, never the value', async () => {
    await set('DATABASE_URL', VALUE);
    await set('DATABASE_URL', VALUE);
    await flowline.secrets.remove('shop', 'production', 'DATABASE_URL', alice, where);
    const events = await flowline.audit.list({ action: 'secret' });
    expect(events.map((e) => [e.action, e.target, e.details])).toEqual([
      [
        'secret.remove',
        'secret:shop/production/DATABASE_URL',
        { service: 'shop', environment: 'production', name: 'DATABASE_URL', version: 2 },
      ],
      [
        'secret.set',
        'secret:shop/production/DATABASE_URL',
        { service: 'shop', environment: 'production', name: 'DATABASE_URL', version: 2 },
      ],
      [
        'secret.set',
        'secret:shop/production/DATABASE_URL',
        { service: 'shop', environment: 'production', name: 'DATABASE_URL', version: 1 },
      ],
    ]);
  });

  it('stores only ciphertext: the value is in no row of any table', async () => {
    await set('DATABASE_URL', VALUE);
    const dump = await everything(flowline);
    expect(dump).toContain('DATABASE_URL');
    expect(dump).not.toContain(VALUE);
    expect(dump).not.toContain(Buffer.from(VALUE).toString('base64'));
  });

  it('lists every missing name with the exact command that sets it', async () => {
    await set('DATABASE_URL', VALUE);
    const error = await failure(
      flowline.secrets.resolve('shop', 'production', ['DATABASE_URL', 'API_KEY', 'SMTP_PASSWORD']),
    );
    expect(error.code).toBe('FLOWLINE_SECRET_MISSING');
    expect(error.message).toContain('API_KEY, SMTP_PASSWORD');
    expect(error.hint).toContain('`flowline secret set API_KEY --service shop --env production`');
    expect(error.hint).toContain('`flowline secret set SMTP_PASSWORD --service shop --env production`');
    expect(error.issues.map((i) => i.hint)).toEqual([
      'flowline secret set API_KEY --service shop --env production',
      'flowline secret set SMTP_PASSWORD --service shop --env production',
    ]);
    expect(`${error.message}${error.hint}`).not.toContain(VALUE);
    // An environment with nothing set, and a service never registered, miss everything.
    expect((await failure(flowline.secrets.resolve('shop', 'staging', ['DATABASE_URL']))).code).toBe(
      'FLOWLINE_SECRET_MISSING',
    );
    expect((await failure(flowline.secrets.resolve('ghost', 'production', ['A']))).message).toContain(
      'ghost/production: A',
    );
    expect(await flowline.secrets.resolve('shop', 'production', [])).toEqual({});
  });

  it('refuses a ciphertext copied to another row (another name, environment or service)', async () => {
    await set('DATABASE_URL', VALUE);
    await set('API_KEY', 'k-123');
    await set('API_KEY', 'k-staging', 'staging');
    await set('API_KEY', 'k-billing', 'production', 'billing');
    const source = await flowline.store.db
      .selectFrom('secrets')
      .select(['ciphertext', 'nonce', 'key_id'])
      .where('name', '=', 'DATABASE_URL')
      .executeTakeFirstOrThrow();
    await flowline.store.write((tx) =>
      tx.updateTable('secrets').set(source).where('name', '=', 'API_KEY').execute(),
    );
    for (const [service, environment] of [
      ['shop', 'production'],
      ['shop', 'staging'],
      ['billing', 'production'],
    ] as const) {
      const error = await failure(flowline.secrets.resolve(service, environment, ['API_KEY']));
      expect(error.code).toBe('FLOWLINE_SECRET_TAMPERED');
      expect(error.message).not.toContain(VALUE);
    }
    expect(await flowline.secrets.resolve('shop', 'production', ['DATABASE_URL'])).toEqual({
      DATABASE_URL: VALUE,
    });
  });

  it('refuses another key by its id, for reading and for setting (no second key is started)', async () => {
    await set('DATABASE_URL', VALUE);
    const other = await open({ FLOWLINE_SECRET_KEY: randomBytes(32).toString('base64') });
    const read = await failure(other.secrets.resolve('shop', 'production', ['DATABASE_URL']));
    expect(read.code).toBe('FLOWLINE_SECRET_KEY_MISMATCH');
    const written = await failure(set('API_KEY', 'k', 'production', 'shop', other));
    expect(written.code).toBe('FLOWLINE_SECRET_KEY_MISMATCH');
    // Without the variable, the key file is used; it does not exist, and opening does not create it.
    const keyless = await open({});
    expect(
      (await failure(keyless.secrets.resolve('shop', 'production', ['DATABASE_URL']))).message,
    ).toContain('does not exist');
    expect((await failure(set('API_KEY', 'k', 'production', 'shop', keyless))).code).toBe(
      'FLOWLINE_SECRET_KEY_MISMATCH',
    );
    expect(await readdir(t.dir)).not.toContain('secret.key');
    // Once the values sealed with the lost key are removed, a new key may start.
    await keyless.secrets.remove('shop', 'production', 'DATABASE_URL', alice, where);
    await set('API_KEY', 'k', 'production', 'shop', keyless);
    expect((await stat(path.join(t.dir, 'secret.key'))).mode & 0o777).toBe(0o600);
  });

  it('creates the key file on the first set, not when Flowline opens', async () => {
    const keyless = await open({});
    await keyless.catalog.ensureService('mail');
    expect(await readdir(t.dir)).not.toContain('secret.key');
    await keyless.secrets.set(
      { service: 'mail', environment: 'production', name: 'SMTP', value: 'x' },
      alice,
      where,
    );
    expect(await readdir(t.dir)).toContain('secret.key');
    expect(await keyless.secrets.resolve('mail', 'production', ['SMTP'])).toEqual({ SMTP: 'x' });
  });

  it('refuses bad names, environments and values without quoting a value', async () => {
    const cases: [string, string, string, RegExp][] = [
      ['database_url', 'production', VALUE, /not an environment-variable name/],
      ['1ST', 'production', VALUE, /not an environment-variable name/],
      ['FLOWLINE_TOKEN', 'production', VALUE, /reserved/],
      ['DB', 'pro duction', VALUE, /environment name/],
      ['DB', 'a/b', VALUE, /environment name/],
      ['DB', 'production', '', /empty/],
      ['DB', 'production', `${VALUE}\0`, /NUL/],
      ['DB', 'production', `${VALUE}\uD800`, /unpaired surrogate/],
      ['DB', 'production', VALUE.padEnd(64 * 1024 + 1, 'x'), /65537 bytes; at most 65536/],
    ];
    for (const [name, environment, value, message] of cases) {
      const error = await failure(set(name, value, environment));
      expect(error.code).toBe('FLOWLINE_REQUEST_INVALID');
      expect(error.message).toMatch(message);
      expect(JSON.stringify(error.toJSON())).not.toContain(VALUE);
    }
    expect(await set('DB', 'x'.repeat(64 * 1024))).toMatchObject({ version: 1 });
  });

  it('knows only registered services, and says what is not set', async () => {
    expect((await failure(set('DB', VALUE, 'production', 'shopp'))).code).toBe('FLOWLINE_NOT_FOUND');
    expect((await failure(flowline.secrets.list('shopp', 'production'))).code).toBe('FLOWLINE_NOT_FOUND');
    const error = await failure(flowline.secrets.remove('shop', 'production', 'DB', alice, where));
    expect(error.code).toBe('FLOWLINE_SECRET_NOT_FOUND');
    expect(error.hint).toContain('flowline secret list --service shop --env production');
  });
});
