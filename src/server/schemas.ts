import { z } from 'zod';
import { MAX_HEADS_PER_REQUEST } from '../audit/index.js';
import { ROLES, TOKEN_NAME } from '../auth/index.js';
import { DNS_LABEL } from '../core/names.js';

/** Shapes the API promises. Response schemas also strip anything a handler did not mean to send. */

export const ErrorResponse = z
  .object({
    error: z.object({
      code: z.string().describe('Stable FLOWLINE_* code; see docs/errors.md'),
      message: z.string(),
      hint: z.string().optional(),
      location: z.record(z.string(), z.unknown()).optional(),
      issues: z.array(z.record(z.string(), z.unknown())).optional(),
    }),
  })
  .meta({ id: 'Error' });

export const Role = z.enum(ROLES);

export const TokenInfo = z
  .object({
    id: z.string(),
    name: z.string(),
    prefix: z.string(),
    role: Role,
    environments: z.array(z.string()).readonly().nullable(),
    createdBy: z.string(),
    createdAt: z.string(),
    expiresAt: z.string().nullable(),
    lastUsedAt: z.string().nullable(),
    revokedAt: z.string().nullable(),
  })
  .meta({ id: 'Token' });

export const CreateTokenBody = z.strictObject({
  name: z.string().regex(TOKEN_NAME, 'lowercase letters, digits, dot, dash, underscore; at most 64'),
  role: Role,
  environments: z
    .array(z.string().regex(DNS_LABEL, 'an environment name: lowercase letters, digits and dashes'))
    .min(1)
    .max(100)
    .optional(),
  expiresAt: z.iso.datetime().optional(),
});

export const Actor = z.object({ kind: z.enum(['token', 'user', 'ci']), name: z.string() });
export const Where = z.object({
  host: z.string(),
  ci: z.object({ provider: z.string(), runId: z.string().optional(), url: z.string().optional() }).optional(),
  commit: z.string().optional(),
});

export const AuditEvent = z
  .object({
    seq: z.number().int(),
    id: z.string(),
    at: z.string(),
    actor: Actor,
    action: z.string(),
    target: z.string(),
    where: Where,
    details: z.record(z.string(), z.unknown()),
    prevHash: z.string(),
    hash: z.string(),
  })
  .meta({ id: 'AuditEvent' });

export const AuditQuery = z.strictObject({
  action: z
    .string()
    .max(200)
    .optional()
    .describe('a prefix (`token`), or a glob over the whole action when it holds `*` (`env.*`, `*.fail`)'),
  actor: z.string().max(200).optional(),
  target: z.string().max(500).optional().describe('a prefix, or a glob when it holds `*` (`env:shop/*`)'),
  since: z.iso.datetime().optional(),
  until: z.iso.datetime().optional(),
  limit: z.coerce.number().int().min(1).max(1000).default(100),
  before: z.coerce
    .number()
    .int()
    .min(1)
    .optional()
    .describe('only events older than this `seq`: the next page after the last event seen'),
});

export const AuditHead = z.object({ seq: z.number().int(), hash: z.string() });

export const AuditVerifyQuery = z.strictObject({
  head: z.union([z.string().max(200), z.array(z.string().max(200)).max(MAX_HEADS_PER_REQUEST)]).optional(),
});

export const VerifyResult = z.union([
  z.object({
    ok: z.literal(true),
    events: z.number().int(),
    headHash: z.string(),
    anchored: z.number().int(),
  }),
  z.object({
    ok: z.literal(false),
    code: z.enum(['FLOWLINE_AUDIT_CHAIN_BROKEN', 'FLOWLINE_AUDIT_ANCHOR_MISMATCH']),
    events: z.number().int(),
    firstBad: z.object({
      seq: z.number().int(),
      id: z.string().optional(),
      problem: z.enum(['altered', 'missing', 'relinked', 'truncated', 'rewritten']),
      anchor: AuditHead.optional(),
    }),
    message: z.string(),
  }),
]);

export const ListQuery = z.strictObject({
  service: z.string().max(64).optional(),
  environment: z.string().max(64).optional(),
  limit: z.coerce.number().int().min(1).max(1000).default(100),
});
