import { spawnSync } from 'node:child_process';
import { readdirSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

/** Syntax-checks every JavaScript file with `node --check` (no dependencies to install). */

const root = path.dirname(path.dirname(fileURLToPath(import.meta.url)));
const files = ['src', 'scripts', 'test'].flatMap((dir) =>
  readdirSync(path.join(root, dir), { recursive: true, encoding: 'utf8' })
    .filter((file) => file.endsWith('.js'))
    .map((file) => path.join(dir, file)),
);
let failed = 0;
for (const file of files) {
  const result = spawnSync(process.execPath, ['--check', file], { cwd: root, encoding: 'utf8' });
  if (result.status !== 0) {
    failed++;
    process.stderr.write(result.stderr);
  }
}
process.stdout.write(`checked ${files.length} files, ${failed} with errors\n`);
process.exitCode = failed === 0 ? 0 : 1;
