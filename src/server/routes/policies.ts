import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import type { Where } from '../../audit/index.js';
import type { Authorize } from '../../auth/index.js';
import type { Catalog } from '../../catalog/index.js';
import { FlowlineError } from '../../core/errors.js';
import type { Policies } from '../../policy/index.js';
import { principalOf } from '../auth.js';

const Name = z.string().regex(/^[a-z0-9][a-z0-9-]{0,62}$/, 'lowercase letters, digits and dashes');
const Host = z
  .string()
  .max(253)
  .regex(/^[a-z0-9]([a-z0-9.-]*[a-z0-9])?$/, 'a host name: lowercase letters, digits, dots and dashes');

const EnvironmentPolicy = z
  .strictObject({
    protected: z.boolean().describe('a green trunk is needed to deploy here'),
    after: Name.nullable().describe('only artifacts that succeeded in this environment first'),
    host: Host.nullable().describe('the host the router serves it on (null: <env>.<service>.localhost)'),
    ephemeral: z.boolean().describe('a template previews are made from'),
    deployRole: z.enum(['deploy', 'admin']).describe('the least role that may deploy here'),
  })
  .meta({ id: 'EnvironmentPolicy' });
const PolicyDocument = z.strictObject({
  trunk: z.string().min(1).max(255).nullable().describe('runs of this branch move the andon cord; null: off'),
  environments: z.record(Name, EnvironmentPolicy),
});
const ServicePolicy = PolicyDocument.extend({
  service: z.string(),
  version: z.number().int(),
  updatedAt: z.string(),
  updatedBy: z.string(),
}).meta({ id: 'ServicePolicy' });
const Change = z.object({ path: z.string(), from: z.unknown(), to: z.unknown() });

/**
 * A service's policy: what the server allows (docs/adr/0010-trust-model.md). Reading it needs
 * `read`; changing it needs an admin token for all environments, and is audited with the diff.
 */
export const policyRoutes =
  (deps: {
    policies: Policies;
    catalog: Pick<Catalog, 'ensureService'>;
    authorize: Authorize;
    where: () => Where;
  }): FastifyPluginAsyncZod =>
  async (app) => {
    const { policies } = deps;
    const params = z.object({ service: Name });

    app.get(
      '/v1/policies/:service',
      {
        config: { access: 'read' },
        schema: {
          summary: "A service's policy: trunk, and per environment the gates, host and deploy role",
          tags: ['policies'],
          params,
          response: { 200: z.object({ policy: ServicePolicy }) },
        },
      },
      async (request) => {
        const policy = await policies.get(request.params.service);
        if (policy === undefined) {
          throw new FlowlineError('FLOWLINE_NOT_FOUND', `No policy for ${request.params.service} yet.`, {
            hint: 'A policy is seeded by the first `flowline run` of the service, or by `flowline config apply`.',
          });
        }
        return { policy };
      },
    );

    app.post(
      '/v1/policies/:service/plan',
      {
        config: { access: 'read' },
        schema: {
          summary: 'What applying a policy would change (nothing is written)',
          tags: ['policies'],
          params,
          body: z.strictObject({ policy: PolicyDocument }),
          response: { 200: z.object({ current: ServicePolicy.nullable(), changes: z.array(Change) }) },
        },
      },
      async (request) => {
        const { current, changes } = await policies.plan(request.params.service, request.body.policy);
        return { current: current ?? null, changes };
      },
    );

    app.put(
      '/v1/policies/:service',
      {
        config: { access: 'admin' },
        schema: {
          summary: "Replace a service's policy (admin for all environments; audited with the diff)",
          tags: ['policies'],
          params,
          body: z.strictObject({
            policy: PolicyDocument,
            expectVersion: z
              .number()
              .int()
              .min(0)
              .optional()
              .describe('refuse (FLOWLINE_POLICY_CONFLICT) unless the policy is still at this version'),
          }),
          response: { 200: z.object({ policy: ServicePolicy, changes: z.array(Change) }) },
        },
      },
      async (request) => {
        const principal = principalOf(request);
        // The policy spans every environment: an admin scoped to some cannot change it.
        deps.authorize(principal, 'admin');
        await deps.catalog.ensureService(request.params.service);
        return policies.apply(
          request.params.service,
          request.body.policy,
          { actor: principal.actor, where: deps.where() },
          request.body.expectVersion,
        );
      },
    );
  };
