// Builds the publishable package into dist/: compiles src/ together with the shared flag engine
// (../../src/flags/engine, one source of truth with the server), then lays the engine out as
// dist/engine/ (with the one src/core module it shares beside it) and points dist/engine.js
// at it, so the package imports nothing outside itself.
import { spawnSync } from 'node:child_process';
import { cp, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const packageDir = fileURLToPath(new URL('..', import.meta.url));
const dist = path.join(packageDir, 'dist');
const tsc = createRequire(import.meta.url).resolve('typescript/bin/tsc');
const staging = await mkdtemp(path.join(os.tmpdir(), 'flowline-openfeature-build-'));

try {
  const compiled = spawnSync(
    process.execPath,
    [tsc, '-p', path.join(packageDir, 'tsconfig.build.json'), '--outDir', staging],
    { stdio: ['ignore', 'pipe', 'pipe'], encoding: 'utf8' },
  );
  if (compiled.status !== 0) {
    process.stderr.write(compiled.stdout + compiled.stderr);
    throw new Error(`tsc failed with exit code ${compiled.status}`);
  }
  await rm(dist, { recursive: true, force: true });
  await cp(path.join(staging, 'packages', 'openfeature-provider', 'src'), dist, { recursive: true });
  await cp(path.join(staging, 'src', 'flags', 'engine'), path.join(dist, 'engine'), { recursive: true });
  // The engine's one helper shared with the server (src/core/edit-distance.ts, pure and import-free)
  // is laid out beside it, and the engine's imports of it point there.
  for (const file of ['edit-distance.js', 'edit-distance.d.ts']) {
    await cp(path.join(staging, 'src', 'core', file), path.join(dist, 'engine', file));
  }
  for (const file of ['suggest.js', 'suggest.d.ts']) {
    const target = path.join(dist, 'engine', file);
    const source = await readFile(target, 'utf8');
    await writeFile(target, source.replaceAll("'../../core/edit-distance.js'", "'./edit-distance.js'"));
  }
  for (const file of ['engine.js', 'engine.d.ts']) {
    const target = path.join(dist, file);
    const source = await readFile(target, 'utf8');
    const rewritten = source.replace("'../../../src/flags/engine/index.js'", "'./engine/index.js'");
    if (rewritten === source) throw new Error(`${file} does not import the shared engine as expected`);
    await writeFile(target, rewritten);
  }
} finally {
  await rm(staging, { recursive: true, force: true });
}
