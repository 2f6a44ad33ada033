import { execFileSync } from 'node:child_process';
import { cpSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

/**
 * Builds the artifact: src/ copied to dist/ with build-info.json (the git commit) and a
 * package.json so Node runs the files as ES modules wherever the artifact is unpacked.
 * No timestamps: the same commit builds byte-identical output, so the artifact's content hash
 * is stable. `--out <dir>` builds elsewhere (the tests use it).
 */

const root = path.dirname(path.dirname(fileURLToPath(import.meta.url)));
const outFlag = process.argv.indexOf('--out');
const out = outFlag === -1 ? path.join(root, 'dist') : path.resolve(process.argv[outFlag + 1] ?? 'dist');
const pkg = JSON.parse(readFileSync(path.join(root, 'package.json'), 'utf8'));

rmSync(out, { recursive: true, force: true });
mkdirSync(out, { recursive: true });
cpSync(path.join(root, 'src'), out, { recursive: true });

const info = { service: pkg.name, version: pkg.version, revision: gitRevision() };
writeFileSync(path.join(out, 'build-info.json'), `${JSON.stringify(info, null, 2)}\n`);
const runtime = {
  name: pkg.name,
  version: pkg.version,
  private: true,
  type: 'module',
  scripts: { start: 'node server.js' },
};
writeFileSync(path.join(out, 'package.json'), `${JSON.stringify(runtime, null, 2)}\n`);
process.stdout.write(`built ${path.relative(process.cwd(), out) || '.'} (revision ${info.revision})\n`);

function gitRevision() {
  try {
    return execFileSync('git', ['rev-parse', 'HEAD'], {
      cwd: root,
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'ignore'],
    }).trim();
  } catch {
    return 'unknown';
  }
}
