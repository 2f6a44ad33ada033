import { createHash } from 'node:crypto';
import type { Environment, FlowlineConfig } from '../config/index.js';
import { FlowlineError } from '../core/errors.js';

/** The flowline.yaml environment previews are made from (the first marked `ephemeral: true`). */
export function previewTemplate(config: FlowlineConfig): Environment {
  const template = Object.values(config.environments).find((e) => e.ephemeral);
  if (template === undefined) {
    throw new FlowlineError(
      'FLOWLINE_ENV_NO_TEMPLATE',
      `${config.service} has no environment marked \`ephemeral: true\` to create previews from.`,
      {
        hint: 'Add one under `environments`, e.g. `preview: { ephemeral: true, ttl: 72h, instances: 1 }`.',
        location: { path: 'environments' },
      },
    );
  }
  return template;
}

/**
 * The name of a preview: `pr-<n>` for a pull request, else `br-<branch slug>`. Names are DNS
 * labels (they are hosts: `pr-12.hello.localhost`): lowercase letters, digits and dashes, at
 * most 63 characters; a longer branch keeps its start and gets a hash of the full name.
 */
export function previewName(input: {
  branch?: string | undefined;
  pullRequest?: number | undefined;
}): string {
  if (input.pullRequest !== undefined) {
    if (!Number.isInteger(input.pullRequest) || input.pullRequest < 1) {
      throw invalid(
        'pullRequest',
        `The pull request number ${input.pullRequest} is not a positive whole number.`,
      );
    }
    return `pr-${input.pullRequest}`;
  }
  if (input.branch === undefined)
    throw invalid('branch', 'A preview needs a branch or a pull request number.');
  const slug = input.branch
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, '-')
    .replace(/^-+|-+$/g, '');
  if (slug === '')
    throw invalid(
      'branch',
      `The branch ${JSON.stringify(input.branch)} has no letter or digit to name a preview by.`,
    );
  if (slug.length <= 60) return `br-${slug}`;
  const hash = createHash('sha256').update(input.branch).digest('hex').slice(0, 6);
  return `br-${slug.slice(0, 53).replace(/-+$/, '')}-${hash}`;
}

function invalid(path: string, message: string): FlowlineError {
  return new FlowlineError('FLOWLINE_REQUEST_INVALID', message, {
    hint: 'Give `--pr <n>` or `--branch <name>`.',
    location: { path },
  });
}

export function nameTaken(name: string, by: string): FlowlineError {
  return new FlowlineError('FLOWLINE_ENV_NAME_TAKEN', `The preview name ${name} is taken by ${by}.`, {
    hint: 'Delete that environment first, or create the preview with `--pr <n>` for a distinct name.',
  });
}
