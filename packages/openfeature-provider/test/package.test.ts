import { execFile } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { promisify } from 'node:util';
import { OpenFeature } from '@openfeature/server-sdk';
import { beforeAll, describe, expect, it } from 'vitest';
import { FakeFlowline } from './fake-flowline.js';
import { checkoutFlags } from './helpers.js';

const PACKAGE = fileURLToPath(new URL('..', import.meta.url));
let files: string[] = [];

beforeAll(async () => {
  // `npm pack` runs the prepack build, so this builds dist/ and lists what would be published.
  const { stdout } = await promisify(execFile)('npm', ['pack', '--dry-run', '--json'], {
    cwd: PACKAGE,
    maxBuffer: 16 * 1024 * 1024,
  });
  files = (JSON.parse(stdout) as [{ files: { path: string }[] }])[0].files.map((file) => file.path).sort();
}, 120_000);

describe('the published package', () => {
  it('holds the build, the engine, the types and the readme, and no sources or tests', async () => {
    for (const required of [
      'package.json',
      'README.md',
      'dist/server.js',
      'dist/server.d.ts',
      'dist/web.js',
      'dist/web.d.ts',
      'dist/engine/index.js',
      'dist/engine/evaluate.js',
    ]) {
      expect(files).toContain(required);
    }
    for (const file of files) {
      expect(file).toMatch(/^(package\.json|README\.md|dist\/[\w/-]+\.(js|d\.ts))$/);
      expect(file).not.toMatch(/\.test\./);
    }
    const manifest = JSON.parse(await readFile(path.join(PACKAGE, 'package.json'), 'utf8'));
    for (const target of Object.values(manifest.exports as Record<string, string | Record<string, string>>)) {
      for (const file of typeof target === 'string' ? [target] : Object.values(target)) {
        expect(files).toContain(file.replace(/^\.\//, ''));
      }
    }
  });

  it('imports nothing outside itself but the OpenFeature SDKs, and no Node module', async () => {
    for (const file of files.filter((name) => name.endsWith('.js') || name.endsWith('.d.ts'))) {
      // Comments hold usage examples importing this very package: only code counts.
      const source = (await readFile(path.join(PACKAGE, file), 'utf8')).replace(
        /\/\*[\s\S]*?\*\/|\/\/.*$/gm,
        '',
      );
      for (const [, specifier] of source.matchAll(/(?:from|import)\s*\(?\s*'([^']+)'/g)) {
        if (specifier?.startsWith('.')) {
          const target = path.posix.normalize(path.posix.join(path.posix.dirname(file), specifier));
          expect(files, `${file} imports ${specifier}`).toContain(
            target.replace(/\.js$/, file.endsWith('.d.ts') ? '.d.ts' : '.js'),
          );
        } else {
          expect(specifier, `${file} imports ${specifier}`).toMatch(
            /^@openfeature\/(core|server-sdk|web-sdk)$/,
          );
        }
      }
    }
  });

  it('works when imported from dist: the built Node provider evaluates a served flag', async () => {
    const fake = new FakeFlowline({ tokens: { client: ['production'] } });
    fake.setFlags('shop', 'production', checkoutFlags());
    await fake.listen();
    try {
      const built = (await import(
        pathToFileURL(path.join(PACKAGE, 'dist/server.js')).href
      )) as typeof import('../src/server.js');
      const web = (await import(
        pathToFileURL(path.join(PACKAGE, 'dist/web.js')).href
      )) as typeof import('../src/web.js');
      expect(typeof web.FlowlineWebProvider).toBe('function');
      const provider = new built.FlowlineServerProvider({
        url: fake.url,
        token: 'client',
        service: 'shop',
        environment: 'production',
      });
      await OpenFeature.setProviderAndWait('built', provider);
      const client = OpenFeature.getClient('built');
      expect(await client.getBooleanValue('new-checkout', false, { targetingKey: 'alice' })).toBe(true);
    } finally {
      await OpenFeature.close();
      await fake.close();
    }
  });
});
