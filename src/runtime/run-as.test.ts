import { chmod, mkdir, mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { assertReachable, isReachable, resolveRunAs } from './run-as.js';

const PASSWD =
  'root:x:0:0:root:/root:/bin/bash\nnobody:x:65534:65534:nobody:/nonexistent:/usr/sbin/nologin\napp:x:1001:1002::/home/app:/bin/sh\n';
const passwd = () => PASSWD;

describe('who instances run as', () => {
  it('as root: nobody by default, a named user, or uid:gid; root itself opts out', () => {
    expect(resolveRunAs(undefined, 0, passwd)).toEqual({ uid: 65534, gid: 65534, name: 'nobody' });
    expect(resolveRunAs('app', 0, passwd)).toEqual({ uid: 1001, gid: 1002, name: 'app' });
    expect(resolveRunAs('2000:3000', 0, passwd)).toEqual({ uid: 2000, gid: 3000, name: '2000:3000' });
    expect(resolveRunAs('root', 0, passwd)).toBeUndefined();
  });

  it('refuses an unknown user, and any setting without root (switching users needs root)', () => {
    expect(() => resolveRunAs('ghost', 0, passwd)).toThrow(
      expect.objectContaining({ code: 'FLOWLINE_SETTING_INVALID' }),
    );
    expect(resolveRunAs(undefined, 1000, passwd)).toBeUndefined();
    expect(() => resolveRunAs('nobody', 1000, passwd)).toThrow(
      expect.objectContaining({ code: 'FLOWLINE_NOT_SUPPORTED' }),
    );
  });
});

describe('whether the run-as user reaches the work folder', () => {
  let dir: string;
  const nobody = { uid: 65534, gid: 65534, name: 'nobody' };
  beforeEach(async () => {
    dir = await mkdtemp(path.join(os.tmpdir(), 'flowline-reach-'));
  });
  afterEach(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('needs every existing folder above it to let that user through', async () => {
    const work = path.join(dir, 'repo', 'home-work');
    await mkdir(path.join(dir, 'repo'));
    await chmod(dir, 0o755);
    await chmod(path.join(dir, 'repo'), 0o755);
    expect(isReachable(work, nobody)).toBe(true);
    await chmod(path.join(dir, 'repo'), 0o700);
    expect(isReachable(work, nobody)).toBe(false);
    expect(() => assertReachable(work, nobody)).toThrow(
      new RegExp(`${path.join(dir, 'repo')} lets it not through`),
    );
  });
});
