import { readFileSync } from 'node:fs';

let cached: string | undefined;

/** Flowline's own version, from package.json (works from src/ and dist/: both sit two levels deep). */
export function flowlineVersion(): string {
  if (cached === undefined) {
    const pkg = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as {
      version?: string;
    };
    cached = pkg.version ?? '0.0.0';
  }
  return cached;
}
