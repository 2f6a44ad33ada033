import { randomBytes } from 'node:crypto';
import { readdir } from 'node:fs/promises';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createFlowline, type Flowline } from '../../app/flowline.js';
import { tempDir } from '../../artifacts/testing.js';
import { loadSettings } from '../../core/settings.js';
import { MIGRATIONS, openStore } from '../../store/index.js';
import { signWebhook } from './signature.js';

// Webhook trigger secrets are sealed at rest with the secret box (ADR 0010), and rows stored in
// plain text before migration 0011 are sealed when Flowline opens the store.

const change = { actor: { kind: 'user' as const, name: 'alice' }, where: { host: 'test' } };
const flag = {
  type: 'boolean',
  variants: { on: true, off: false },
  defaultVariant: 'off',
  enabled: true,
};

let t: Awaited<ReturnType<typeof tempDir>>;
const opened: Flowline[] = [];

const open = async (env: Record<string, string>) => {
  const app = await createFlowline(loadSettings({ FLOWLINE_HOME: t.dir, ...env }, t.dir));
  opened.push(app);
  return app;
};

const addWebhook = async (app: Flowline, name: string) => {
  const { secret } = await app.flagTriggers.add(
    { service: 'shop', environment: 'production', name, kind: 'webhook', flag: 'checkout' },
    change.actor,
    change.where,
  );
  if (secret === undefined) throw new Error('a webhook trigger has a secret');
  return secret;
};

const fire = (app: Flowline, trigger: string, secret: string) => {
  const body = Buffer.from(JSON.stringify({ trigger, status: 'firing' }));
  const timestamp = String(Math.floor(Date.now() / 1000));
  return app.flagTriggers.webhook(
    'shop',
    'production',
    { body, timestamp, signature: signWebhook(secret, timestamp, body) },
    change.where,
  );
};

const row = (app: Flowline, name: string) =>
  app.store.db.selectFrom('flag_triggers').selectAll().where('name', '=', name).executeTakeFirstOrThrow();

let key: Record<string, string>;
beforeEach(async () => {
  t = await tempDir('flowline-triggers-');
  key = { FLOWLINE_SECRET_KEY: randomBytes(32).toString('base64') };
  const app = await open(key);
  await app.flags.replace('shop', 'production', { flags: { checkout: flag, search: flag } }, change);
});

afterEach(async () => {
  for (const app of opened.splice(0)) await app.close();
  await t.cleanup();
});

describe('webhook trigger secrets', () => {
  it('are stored sealed, and a webhook signed with the secret still fires', async () => {
    const app = opened[0] as Flowline;
    const secret = await addWebhook(app, 'errors');
    const stored = await row(app, 'errors');
    expect(stored.secret).not.toBe(secret);
    expect(stored.secret_key_id).toMatch(/^[0-9a-f]{16}$/);
    expect(stored.secret_nonce).not.toBeNull();
    const dump = JSON.stringify(await app.store.db.selectFrom('flag_triggers').selectAll().execute());
    expect(dump).not.toContain(secret.slice('whsec_'.length));
    expect(await fire(app, 'errors', secret)).toMatchObject({ trigger: 'errors', action: 'kill' });
  });

  it('cannot be moved to another trigger: a copied sealed secret does not open there', async () => {
    const app = opened[0] as Flowline;
    const secret = await addWebhook(app, 'errors');
    await addWebhook(app, 'latency');
    const { secret: sealed, secret_nonce, secret_key_id } = await row(app, 'errors');
    await app.store.write((tx) =>
      tx
        .updateTable('flag_triggers')
        .set({ secret: sealed, secret_nonce, secret_key_id })
        .where('name', '=', 'latency')
        .execute(),
    );
    await expect(fire(app, 'latency', secret)).rejects.toMatchObject({ code: 'FLOWLINE_SECRET_TAMPERED' });
  });

  it('are refused by key id under another key', async () => {
    const secret = await addWebhook(opened[0] as Flowline, 'errors');
    const other = await open({ FLOWLINE_SECRET_KEY: randomBytes(32).toString('base64') });
    await expect(fire(other, 'errors', secret)).rejects.toMatchObject({
      code: 'FLOWLINE_SECRET_KEY_MISMATCH',
    });
  });

  it('stored in plain text before migration 0011 are sealed when Flowline opens, and keep working', async () => {
    const app = opened[0] as Flowline;
    await addWebhook(app, 'errors');
    const legacy = 'whsec_legacy-plain-secret-from-an-older-flowline';
    await app.store.write((tx) =>
      tx
        .updateTable('flag_triggers')
        .set({ secret: legacy, secret_nonce: null, secret_key_id: null })
        .where('name', '=', 'errors')
        .execute(),
    );
    expect(await app.flagTriggers.sealPlainSecrets()).toBe(1);
    expect(await app.flagTriggers.sealPlainSecrets()).toBe(0);
    expect((await row(app, 'errors')).secret).not.toContain('legacy');

    await app.store.write((tx) =>
      tx
        .updateTable('flag_triggers')
        .set({ secret: legacy, secret_nonce: null, secret_key_id: null })
        .where('name', '=', 'errors')
        .execute(),
    );
    const reopened = await open(key);
    const stored = await row(reopened, 'errors');
    expect(stored.secret).not.toContain('legacy');
    expect(stored.secret_key_id).not.toBeNull();
    expect(await fire(reopened, 'errors', legacy)).toMatchObject({ action: 'kill' });
  });

  it('of a store from before migration 0011 are sealed by the first newer Flowline to open it', async () => {
    const home = `${t.dir}/old`;
    const old = await openStore({ file: `${home}/flowline.db`, migrations: MIGRATIONS.slice(0, 9) });
    const legacy = 'whsec_stored-in-plain-text-by-flowline-0.1';
    await old.write(async (tx) => {
      await tx
        .insertInto('flag_sets')
        .values({
          service: 'shop',
          environment: 'production',
          version: 1,
          etag: '"1"',
          definition_json: JSON.stringify({ flags: { checkout: flag } }),
          updated_at: '2026-01-01T00:00:00.000Z',
          updated_by: 'alice',
        })
        .execute();
      const {
        secret_nonce: _n,
        secret_key_id: _k,
        ...columns
      } = {
        id: 'ftr_old',
        service: 'shop',
        environment: 'production',
        name: 'errors',
        kind: 'webhook' as const,
        flag: 'checkout',
        match_json: '{}',
        variant: null,
        restore: 0,
        secret: legacy,
        secret_nonce: null,
        secret_key_id: null,
        state: 'idle' as const,
        fired_at: null,
        created_at: '2026-01-01T00:00:00.000Z',
        created_by: 'alice',
      };
      await tx.insertInto('flag_triggers').values(columns).execute();
    });
    await old.close();

    const app = await open({ ...key, FLOWLINE_HOME: home });
    const stored = await row(app, 'errors');
    expect([stored.secret?.includes('plain-text'), stored.secret_key_id]).toEqual([
      false,
      expect.any(String),
    ]);
    expect(await fire(app, 'errors', legacy)).toMatchObject({ action: 'kill' });
  });

  it('leave the key alone when there is nothing to seal', async () => {
    await open({});
    expect(await readdir(t.dir)).not.toContain('secret.key');
  });
});
