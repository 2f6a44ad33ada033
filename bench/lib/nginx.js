// nginx (the Debian package) as a reverse proxy to one upstream, with upstream keep-alive:
// the peer our router is measured against. Never faked: without nginx, `startNginx` says so.
import { spawn, spawnSync } from 'node:child_process';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';

/** The nginx binary, or undefined when it is not installed. */
export function findNginx() {
  for (const candidate of ['nginx', '/usr/sbin/nginx']) {
    const probe = spawnSync(candidate, ['-v'], { encoding: 'utf8' });
    if (probe.status === 0) return { bin: candidate, version: (probe.stderr || probe.stdout).trim() };
  }
  return undefined;
}

/** A free TCP port on loopback (closed again at once; nginx binds it right after). */
export function freePort() {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      const port = typeof address === 'object' && address !== null ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
}

/**
 * Starts nginx in the foreground with a generated config proxying to `upstream`
 * (`proxy_http_version 1.1`, `keepalive` connections to the upstream, access log off,
 * `worker_processes` as given, default 1: one core, like our single-threaded router).
 * @param {{ upstream: string, workers?: number | 'auto' }} options
 * @returns {Promise<{ url: string, port: number, version: string, stop: () => Promise<void> } | undefined>}
 *   undefined when nginx is not installed.
 */
export async function startNginx(options) {
  const found = findNginx();
  if (found === undefined) return undefined;
  const dir = await mkdtemp(path.join(os.tmpdir(), 'flowline-nginx-'));
  await mkdir(path.join(dir, 'temp'), { recursive: true });
  const port = await freePort();
  const upstream = new URL(options.upstream);
  const conf = path.join(dir, 'nginx.conf');
  await writeFile(
    conf,
    `worker_processes ${options.workers ?? 1};
error_log ${dir}/error.log warn;
pid ${dir}/nginx.pid;
events { worker_connections 4096; }
http {
  access_log off;
  client_body_temp_path ${dir}/temp/body;
  proxy_temp_path ${dir}/temp/proxy;
  fastcgi_temp_path ${dir}/temp/fastcgi;
  uwsgi_temp_path ${dir}/temp/uwsgi;
  scgi_temp_path ${dir}/temp/scgi;
  upstream app {
    server ${upstream.hostname}:${upstream.port};
    keepalive 128;
  }
  server {
    listen 127.0.0.1:${port} reuseport;
    keepalive_requests 1000000;
    location / {
      proxy_pass http://app;
      proxy_http_version 1.1;
      proxy_set_header Connection "";
      proxy_set_header Host $host;
      proxy_set_header X-Forwarded-For $proxy_add_x_forwarded_for;
      proxy_set_header X-Forwarded-Host $host;
      proxy_set_header X-Forwarded-Proto $scheme;
      add_header x-flowline-revision nginx;
    }
  }
}
`,
  );
  // nginx prints nothing when it is ready: connect until it answers.
  const child = spawn(found.bin, ['-c', conf, '-p', dir, '-g', 'daemon off;'], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout.on('data', (d) => {
    output += d;
  });
  child.stderr.on('data', (d) => {
    output += d;
  });
  /** @type {Promise<void>} */
  const exited = new Promise((resolve) => child.once('exit', () => resolve()));
  const deadline = Date.now() + 5000;
  while (!(await canConnect(port))) {
    if (Date.now() > deadline || child.exitCode !== null) {
      child.kill('SIGKILL');
      throw new Error(`nginx did not start on port ${port}:\n${output}`);
    }
    await new Promise((r) => setTimeout(r, 20));
  }
  return {
    url: `http://127.0.0.1:${port}`,
    port,
    version: found.version,
    stop: async () => {
      if (child.exitCode === null) child.kill('SIGQUIT'); // graceful shutdown
      await exited;
      await rm(dir, { recursive: true, force: true });
    },
  };
}

/** @param {number} port */
function canConnect(port) {
  return new Promise((resolve) => {
    const socket = net.connect(port, '127.0.0.1');
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
  });
}
