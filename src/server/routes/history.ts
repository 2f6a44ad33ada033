import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import type { Where } from '../../audit/index.js';
import type { Authorize } from '../../auth/index.js';
import { environmentsOf, type HistoryImport, parseDeployments, parseIncidents } from '../../history/index.js';
import { principalOf } from '../auth.js';
import { Commit } from './runs.js';

/** A history file travels as text: 100,000 deployments are about 20 MB of CSV. */
const FILE_BODY_LIMIT = 32 * 1024 * 1024;
/** Commits travel in pages (the CLI sends 2,000 at a time). */
export const COMMIT_PAGE_MAX = 5000;

const Name = z.string().regex(/^[a-z0-9][a-z0-9-]{0,62}$/, 'lowercase letters, digits and dashes');

const FileBody = z.strictObject({
  file: z.string().min(1).max(300).describe('the file name, shown in error locations (`deployments.csv:12`)'),
  format: z.enum(['csv', 'json']).optional().describe('default: from the name, else from the content'),
  content: z.string().describe('the whole file, as text'),
  service: Name.optional().describe('the service of rows that name none'),
});

const Result = z
  .object({
    kind: z.enum(['deployments', 'incidents', 'commits']),
    file: z.string(),
    rows: z.number().int(),
    imported: z.number().int(),
    skipped: z.number().int().describe('rows imported before with the same values'),
    ranges: z
      .object({ complete: z.number().int(), partial: z.number().int(), none: z.number().int() })
      .optional()
      .describe('imported deployments whose commit range was (re)computed, by how much of it is known'),
  })
  .meta({ id: 'ImportResult' });

/**
 * History from before Flowline. Admin of every environment only: imported deployments, incidents
 * and commits change every reader's metrics and the commit ranges of the whole service (the auth
 * hook refuses an environment-scoped admin on routes without an `:environment`). Each file's
 * environments are checked against the scope again before anything is written, so the routes stay
 * closed if that rule is ever relaxed.
 */
export const historyRoutes =
  (deps: { history: HistoryImport; authorize: Authorize; where: () => Where }): FastifyPluginAsyncZod =>
  async (app) => {
    const { history, authorize } = deps;
    for (const kind of ['deployments', 'incidents'] as const) {
      app.post(
        `/v1/history/${kind}`,
        {
          config: { access: 'admin' },
          bodyLimit: FILE_BODY_LIMIT,
          schema: {
            summary:
              kind === 'deployments'
                ? 'Import past deployments from a CSV or JSON file'
                : 'Import past incidents from a CSV or JSON file',
            description:
              'The whole file in one transaction, or nothing: every problem is listed (FLOWLINE_IMPORT_INVALID, each issue at file:line or its JSON path). Rows imported before with the same values are skipped. docs/metrics.md, "Importing history".',
            tags: ['history'],
            body: FileBody,
            response: { 200: z.object({ result: Result }) },
          },
        },
        async (request) => {
          const principal = principalOf(request);
          const { file, format, content, service } = request.body;
          const input = {
            name: file,
            text: content,
            ...(format === undefined ? {} : { format }),
            ...(service === undefined ? {} : { service }),
          };
          const by = { actor: principal.actor, where: deps.where() };
          if (kind === 'deployments') {
            const parsed = parseDeployments(input);
            for (const env of environmentsOf(parsed.rows)) authorize(principal, 'admin', env);
            return { result: await history.deployments(parsed, by) };
          }
          const parsed = parseIncidents(input);
          for (const env of environmentsOf(parsed.rows)) authorize(principal, 'admin', env);
          return { result: await history.incidents(parsed, by) };
        },
      );
    }

    app.post(
      '/v1/history/commits',
      {
        config: { access: 'admin' },
        bodyLimit: FILE_BODY_LIMIT,
        schema: {
          summary: "Import a page of a repository's commits (git history read by the CLI)",
          description: `At most ${COMMIT_PAGE_MAX} commits a page; commits known already are skipped. The page marked \`last\` recomputes the commit ranges of the service's imported deployments.`,
          tags: ['history'],
          body: z.strictObject({
            service: Name,
            commits: z.array(Commit).max(COMMIT_PAGE_MAX),
            last: z.boolean(),
          }),
          response: { 200: z.object({ result: Result }) },
        },
      },
      async (request) => {
        const principal = principalOf(request);
        authorize(principal, 'admin'); // a service's commits move the ranges of every environment
        const by = { actor: principal.actor, where: deps.where() };
        return { result: await history.commits(request.body, by) };
      },
    );
  };
