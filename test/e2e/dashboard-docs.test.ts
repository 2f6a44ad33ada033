import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { REPO, runCli, tempDir } from './helpers.js';

// docs/dashboard.md's sign-in section tells a user which tokens to create. Its commands run here
// verbatim, with the built CLI, and the tokens are what the page says they are.

let home: Awaited<ReturnType<typeof tempDir>>;
beforeAll(async () => {
  home = await tempDir('flowline-dashboard-docs-');
});
afterAll(async () => {
  await home.dispose();
});

/** The `flowline …` lines of the page's shell blocks, without their comments. */
async function documentedCommands(): Promise<string[][]> {
  const page = await readFile(path.join(REPO, 'docs', 'dashboard.md'), 'utf8');
  const blocks = [...page.matchAll(/```sh\n([\s\S]*?)```/g)].map((m) => m[1] ?? '');
  return blocks
    .flatMap((block) => block.split('\n'))
    .map((line) => line.replace(/#.*$/, '').trim())
    .filter((line) => line.startsWith('flowline '))
    .map((line) => line.split(/\s+/).slice(1));
}

describe("docs/dashboard.md's token commands", () => {
  it('create the tokens the page describes: roles and scopes', async () => {
    const commands = await documentedCommands();
    expect(commands.length).toBeGreaterThanOrEqual(3);
    const env = { FLOWLINE_HOME: home.path };
    for (const args of commands) {
      const out = await runCli(args, { env });
      expect(out.code, `flowline ${args.join(' ')}: ${out.stderr}`).toBe(0);
      expect(out.stdout).toMatch(/flt_[A-Za-z0-9_-]{20,}/);
    }
    const listed = await runCli(['token', 'list', '--json'], { env });
    expect(listed.code, listed.stderr).toBe(0);
    const tokens = (
      JSON.parse(listed.stdout) as { tokens: { name: string; role: string; environments: string[] | null }[] }
    ).tokens;
    const summary = Object.fromEntries(tokens.map((t) => [t.name, [t.role, t.environments]]));
    expect(summary).toEqual({
      alice: ['read', null],
      bob: ['deploy', null],
      carol: ['deploy', ['staging']],
    });
  });
});
