import { execFile } from 'node:child_process';
import path from 'node:path';
import { FlowlineError } from '../core/errors.js';
import type { Executor, LocalProcessExecutor, StepResult, StepSpec } from './executor.js';

const UNAVAILABLE = 'container executor needs a Docker engine; none is running here';

/** Where the repository is mounted inside the container. */
const WORKSPACE = '/workspace';

/**
 * Runs steps of stages with an `image:` in a container: `docker run --rm` with the repository
 * mounted at /workspace and the step's clean environment passed by name (values never appear
 * in the process list). Available only where the docker CLI exists AND `docker info` reaches an
 * engine; elsewhere {@link check} fails with FLOWLINE_NOT_SUPPORTED instead of pretending.
 */
export class DockerExecutor implements Executor {
  readonly name = 'docker';
  #checked: Promise<void> | undefined;

  constructor(
    private readonly host: LocalProcessExecutor,
    /** The repository root mounted at /workspace. */
    private readonly repo: string,
    /** The environment the docker CLI itself runs with (DOCKER_HOST, PATH, HOME). */
    private readonly cliEnv: Readonly<Record<string, string | undefined>>,
  ) {}

  check(): Promise<void> {
    this.#checked ??= new Promise<void>((resolve, reject) => {
      execFile(
        'docker',
        ['info', '--format', '{{.ServerVersion}}'],
        { env: this.#env(), timeout: 15_000 },
        (error, _stdout, stderr) => {
          if (error === null) return resolve();
          const missing = (error as NodeJS.ErrnoException).code === 'ENOENT';
          const detail = missing
            ? 'the docker CLI is not installed'
            : `\`docker info\` failed: ${firstLine(stderr) || error.message}`;
          reject(
            new FlowlineError('FLOWLINE_NOT_SUPPORTED', `${UNAVAILABLE} (${detail}).`, {
              hint: 'Start a Docker engine, or remove `image:` to run the stage on the host.',
            }),
          );
        },
      );
    });
    return this.#checked;
  }

  async run(spec: StepSpec): Promise<StepResult> {
    await this.check();
    if (spec.image === undefined) throw new Error('DockerExecutor.run needs spec.image');
    const workdir = path.posix.join(WORKSPACE, path.relative(this.repo, spec.cwd).split(path.sep).join('/'));
    const args = ['run', '--rm', '--init', '-v', `${this.repo}:${WORKSPACE}`, '-w', workdir];
    for (const name of Object.keys(spec.env)) if (name !== 'PATH' && name !== 'HOME') args.push('-e', name);
    args.push(spec.image, '/bin/sh', '-c', spec.command);
    return this.host.spawn('docker', args, { ...spec, env: { ...this.#env(), ...spec.env } });
  }

  #env(): Record<string, string> {
    const env: Record<string, string> = {};
    for (const [name, value] of Object.entries(this.cliEnv)) {
      if (value !== undefined && (name === 'PATH' || name === 'HOME' || name.startsWith('DOCKER_')))
        env[name] = value;
    }
    return env;
  }
}

function firstLine(text: string): string {
  return text.trim().split('\n')[0]?.trim() ?? '';
}
