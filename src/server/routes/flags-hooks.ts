import type { FastifyRequest } from 'fastify';
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import type { Where } from '../../audit/index.js';
import type { Authorize, TokenService } from '../../auth/index.js';
import { FlowlineError, type Issue } from '../../core/errors.js';
import type { FlagTriggers } from '../../flags/service/index.js';
import { alertKey, type Incidents } from '../../incidents/index.js';
import { parseJsonBody } from '../body.js';

const Name = z.string().regex(/^[a-z0-9][a-z0-9-]{0,62}$/, 'lowercase letters, digits and dashes');
const SetParams = z.object({ service: Name, environment: Name });
const Labels = z.record(z.string(), z.string());

/**
 * Prometheus Alertmanager's webhook payload, version 4. Deliberately not strict: Alertmanager
 * adds fields between releases, and a kill switch must not fail on a field it does not need.
 */
const AlertmanagerPayload = z.object({
  version: z.literal('4'),
  groupKey: z.string().optional(),
  truncatedAlerts: z.number().int().min(0).optional(),
  status: z.enum(['firing', 'resolved']),
  receiver: z.string(),
  groupLabels: Labels.default({}),
  commonLabels: Labels.default({}),
  commonAnnotations: Labels.default({}),
  externalURL: z.string().optional(),
  alerts: z
    .array(
      z.object({
        status: z.enum(['firing', 'resolved']),
        labels: Labels,
        annotations: Labels.default({}),
        startsAt: z.string().optional(),
        endsAt: z.string().optional(),
        generatorURL: z.string().optional(),
        fingerprint: z.string().optional(),
      }),
    )
    .max(10_000),
});

export interface FlagHookDeps {
  readonly triggers: FlagTriggers;
  /** A firing alert group opens an incident in the environment; its resolution resolves it. */
  readonly incidents: Pick<Incidents, 'alert'>;
  readonly tokens: TokenService;
  readonly authorize: Authorize;
  readonly where: () => Where;
}

/**
 * Triggers from outside: Alertmanager (with a deploy token as Bearer or as the Basic password,
 * the two ways Alertmanager's `http_config` sends credentials) and a generic webhook signed with
 * a per-trigger HMAC key (no token). Bodies are read raw: the signature covers the exact bytes.
 */
export const flagHookRoutes =
  (deps: FlagHookDeps): FastifyPluginAsyncZod =>
  async (app) => {
    app.removeAllContentTypeParsers();
    app.addContentTypeParser('*', { parseAs: 'buffer', bodyLimit: 512 * 1024 }, (_request, body, done) =>
      done(null, body),
    );

    app.post(
      '/v1/hooks/alertmanager/:service/:environment',
      {
        // Authenticated below, before the body is read, from either header form.
        config: { access: 'public' },
        onRequest: async (request) => {
          request.principal = await deps.tokens.authenticate(credential(request));
          const environment = (request.params as { environment?: string }).environment ?? '';
          deps.authorize(request.principal, 'deploy', environment);
        },
        schema: {
          summary:
            'Prometheus Alertmanager webhook (version 4): a firing group opens an incident and kills matching flags; its resolution resolves the incident and may restore them',
          tags: ['flags'],
          params: SetParams,
          security: [{ bearer: [] }, { basic: [] }],
        },
      },
      async (request) => {
        const payload = AlertmanagerPayload.safeParse(json(request.body));
        if (!payload.success) {
          const issues: Issue[] = payload.error.issues.map((issue) => ({
            code: issue.code,
            message: issue.message,
            path: ['body', ...issue.path.map(String)].join('.'),
          }));
          throw new FlowlineError(
            'FLOWLINE_REQUEST_INVALID',
            'The body is not an Alertmanager webhook payload (version 4).',
            {
              issues,
              hint: 'Point an Alertmanager `webhook_configs` receiver at this URL; see docs/flags.md.',
            },
          );
        }
        const { service, environment } = request.params;
        const where = deps.where();
        const notification = payload.data;
        const key = alertKey(service, environment, notification);
        // Triggers first: a kill opens the group's incident linked to the flag change it made, and
        // the alert then finds it open instead of opening a second one.
        const triggers = await deps.triggers.alertmanager(service, environment, notification, where, key);
        const incident = await deps.incidents.alert({ service, environment, notification, key, where });
        return { triggers, incident };
      },
    );

    app.post(
      '/v1/hooks/flags/:service/:environment',
      {
        // No token: the HMAC signature of the body with the trigger's secret is the credential.
        config: { access: 'public' },
        schema: {
          summary:
            'Signed webhook: { trigger, status: firing|resolved }, X-Flowline-Timestamp and X-Flowline-Signature',
          tags: ['flags'],
          params: SetParams,
        },
      },
      async (request) => {
        const { service, environment } = request.params;
        const header = (name: string) => {
          const value = request.headers[name];
          return typeof value === 'string' ? value.trim() : undefined;
        };
        const body = Buffer.isBuffer(request.body) ? request.body : Buffer.alloc(0);
        const outcome = await deps.triggers.webhook(
          service,
          environment,
          { body, signature: header('x-flowline-signature'), timestamp: header('x-flowline-timestamp') },
          deps.where(),
        );
        return { trigger: outcome };
      },
    );
  };

/** The token from `Authorization: Bearer <token>` or `Basic base64(<any user>:<token>)`. */
function credential(request: FastifyRequest): string {
  const header = request.headers.authorization?.trim() ?? '';
  if (header === '') {
    throw new FlowlineError('FLOWLINE_AUTH_MISSING', 'This hook needs a deploy token.', {
      hint: 'In Alertmanager: `http_config: { authorization: { credentials: <token> } }` (or basic_auth with the token as password).',
    });
  }
  const bearer = /^Bearer\s+(\S+)$/i.exec(header);
  if (bearer?.[1] !== undefined) return bearer[1];
  const basic = /^Basic\s+([A-Za-z0-9+/=]+)$/i.exec(header);
  if (basic?.[1] !== undefined) {
    const decoded = Buffer.from(basic[1], 'base64').toString('utf8');
    const colon = decoded.indexOf(':');
    if (colon >= 0) return decoded.slice(colon + 1);
  }
  throw new FlowlineError('FLOWLINE_AUTH_INVALID', 'The Authorization header is neither Bearer nor Basic.', {
    hint: 'Send `Authorization: Bearer <token>`, or Basic auth with the token as the password.',
  });
}

function json(body: unknown): unknown {
  return Buffer.isBuffer(body) ? parseJsonBody(body) : undefined;
}
