import { chmod, mkdir, readdir, readFile, stat, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { createLocalRuntime, type Runtime } from '../../src/runtime/index.js';
import { tempStore } from '../../src/store/testing.js';
import { helloSpec, isRunning, NODE, until } from './runtime-helpers.js';

/**
 * The folders an instance writes in, with real processes: its own copy (HOME), its own scratch
 * folder (TMPDIR), and its environment's data folder (FLOWLINE_DATA_DIR), which outlives
 * instances and revisions until the environment goes.
 */

const isRoot = process.getuid?.() === 0;
const NOBODY = { uid: 65534, gid: 65534, name: 'nobody' };

let env: Awaited<ReturnType<typeof tempStore>>;
let logDir: string;
let workRoot: string;
const runtimes: Runtime[] = [];
const seen = new Set<number>();
/** Failures the runtime could only report: there must be none. */
const backgroundErrors: unknown[] = [];

function runtime(runAs?: typeof NOBODY): Runtime {
  const rt = createLocalRuntime({
    store: env.store,
    hostEnv: { PATH: process.env.PATH },
    workRoot,
    runAs,
    onError: (error) => backgroundErrors.push(error),
  });
  rt.onChange((s) => s.pid !== null && seen.add(s.pid));
  runtimes.push(rt);
  return rt;
}

/** Appends the instance's id to a file in its data folder, leaves a file in its scratch, prints its env. */
const STATEFUL = [
  'printf "%s\\n" "$FLOWLINE_INSTANCE" >> "$FLOWLINE_DATA_DIR/starts.log"',
  'touch "$TMPDIR/scratch-file"',
  'env',
  `exec ${NODE} server.js`,
].join('; ');

/** `NAME=value` lines an instance printed to its log. */
async function printedEnv(logFile: string): Promise<Record<string, string>> {
  const text = await readFile(logFile, 'utf8');
  return Object.fromEntries(
    text
      .split('\n')
      .map((line) => /^([A-Z_]+)=(.*)$/.exec(line))
      .flatMap((m) => (m === null ? [] : [[m[1], m[2]]])),
  );
}

const mode = async (p: string) => (await stat(p)).mode & 0o777;
const exists = (p: string) =>
  stat(p).then(
    () => true,
    () => false,
  );

beforeAll(async () => {
  env = await tempStore();
  // Traversable, as a real work folder's parents are: instances may run as nobody below it.
  await chmod(env.dir, 0o755);
  logDir = path.join(env.dir, 'logs');
  workRoot = path.join(env.dir, 'work');
});

afterEach(async () => {
  for (const rt of runtimes.splice(0)) await rt.close({ stopInstances: true });
  expect(backgroundErrors).toEqual([]);
});

afterAll(async () => {
  await until(() => [...seen].every((pid) => !isRunning(pid)), 5000, 'every instance process to be gone');
  await env.cleanup();
});

describe("an instance's folders", () => {
  it('share one data folder per environment across instances and revisions, and keep scratch per instance', async () => {
    const rt = runtime();
    const first = helloSpec(logDir, { instances: 2, command: STATEFUL });
    const handle = await rt.start(first);
    const [a, b] = handle.instances;
    const envA = await printedEnv(a?.logFile ?? '');
    const envB = await printedEnv(b?.logFile ?? '');
    const data = path.join(workRoot, 'data', 'hello', 'test');
    expect([envA.FLOWLINE_DATA_DIR, envB.FLOWLINE_DATA_DIR]).toEqual([data, data]);
    expect(envA.TMPDIR).toBe(path.join(workRoot, 'scratch', a?.id ?? ''));
    expect(envB.TMPDIR).toBe(path.join(workRoot, 'scratch', b?.id ?? ''));
    expect(envA.HOME).toBe(path.join(workRoot, a?.id ?? ''));
    for (const folder of [data, envA.TMPDIR ?? '', envA.HOME ?? '']) {
      expect([folder, await mode(folder)]).toEqual([folder, 0o700]);
    }
    expect(await exists(path.join(envA.TMPDIR ?? '', 'scratch-file'))).toBe(true);

    await rt.stop(handle.key);
    // Scratch and copies go with their instances; the environment's data stays.
    expect(await readdir(path.join(workRoot, 'scratch'))).toEqual([]);
    expect(await exists(envA.HOME ?? '')).toBe(false);
    expect(
      (await readFile(path.join(data, 'starts.log'), 'utf8')).split('\n').filter(Boolean).sort(),
    ).toEqual([a?.id, b?.id].sort());

    // The next revision of the environment finds it; another environment has its own.
    const second = await rt.start(helloSpec(logDir, { command: STATEFUL }));
    const other = await rt.start(helloSpec(logDir, { environment: 'other', command: STATEFUL }));
    const starts = (await readFile(path.join(data, 'starts.log'), 'utf8')).split('\n').filter(Boolean);
    expect(starts).toHaveLength(3);
    expect(starts[2]).toBe(second.instances[0]?.id);
    const otherData = path.join(workRoot, 'data', 'hello', 'other');
    expect(await readFile(path.join(otherData, 'starts.log'), 'utf8')).toBe(`${other.instances[0]?.id}\n`);

    // An environment's data is deleted only once nothing of it runs.
    await expect(rt.removeData('hello', 'test')).rejects.toMatchObject({
      code: 'FLOWLINE_REVISION_RUNNING',
      message: expect.stringContaining(second.key),
    });
    await rt.stop(second.key);
    expect(await rt.removeData('hello', 'test')).toBe(true);
    expect(await exists(data)).toBe(false);
    expect(await rt.removeData('hello', 'test')).toBe(false);
    expect(await exists(otherData)).toBe(true);
  });

  it.skipIf(!isRoot)(
    'belong to the run-as user, who alone may enter them, when Flowline runs as root',
    async () => {
      const rt = runtime(NOBODY);
      const handle = await rt.start(
        helloSpec(logDir, { environment: 'owned', command: `id -u > "$FLOWLINE_DATA_DIR/uid"; ${STATEFUL}` }),
      );
      const printed = await printedEnv(handle.instances[0]?.logFile ?? '');
      const data = path.join(workRoot, 'data', 'hello', 'owned');
      expect(printed.FLOWLINE_DATA_DIR).toBe(data);
      expect(await readFile(path.join(data, 'uid'), 'utf8')).toBe('65534\n');
      for (const folder of [data, printed.TMPDIR ?? '', path.join(data, 'starts.log')]) {
        const info = await stat(folder);
        expect([folder, info.uid, info.gid]).toEqual([folder, 65534, 65534]);
      }
      expect(await mode(data)).toBe(0o700);
      // The folders above are Flowline's: nobody can pass through them, but not list or change them.
      for (const above of [path.dirname(data), path.join(workRoot, 'scratch')]) {
        const info = await stat(above);
        expect([above, info.uid, info.mode & 0o777]).toEqual([above, 0, 0o711]);
      }
    },
  );

  it.skipIf(!isRoot)(
    'refuses a data folder holding another user’s files (FLOWLINE_RUN_AS changed), saying how to hand it over',
    async () => {
      const data = path.join(workRoot, 'data', 'hello', 'handover');
      await mkdir(data, { recursive: true });
      await writeFile(path.join(data, 'db.json'), '{}'); // written while instances ran as root
      const rt = runtime(NOBODY);
      const error = await rt.start(helloSpec(logDir, { environment: 'handover', command: STATEFUL })).then(
        () => undefined,
        (e: unknown) => e as { code: string; message: string; hint?: string },
      );
      expect(error?.code).toBe('FLOWLINE_RUNTIME_SPEC_INVALID');
      expect(error?.message).toContain(`${data}, belongs to uid 0, not to nobody`);
      expect(error?.hint).toContain(`chown -R 65534:65534 ${data}`);
    },
  );
});
