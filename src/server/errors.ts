import type { FastifyError, FastifyReply, FastifyRequest } from 'fastify';
import { hasZodFastifySchemaValidationErrors } from 'fastify-type-provider-zod';
import { type ErrorCode, FlowlineError, httpStatusOf, type Issue } from '../core/errors.js';

/** Fastify's own error codes that are the caller's fault, mapped to ours. */
const FASTIFY_CODES: Record<string, { code: ErrorCode; hint: string; status?: number }> = {
  FST_ERR_CTP_BODY_TOO_LARGE: { code: 'FLOWLINE_REQUEST_TOO_LARGE', hint: 'Send a smaller body.' },
  FST_ERR_CTP_INVALID_JSON_BODY: {
    code: 'FLOWLINE_REQUEST_MALFORMED',
    hint: 'Send a well-formed JSON document with Content-Type: application/json.',
  },
  FST_ERR_CTP_EMPTY_JSON_BODY: {
    code: 'FLOWLINE_REQUEST_MALFORMED',
    hint: 'Send a JSON body, or drop the Content-Type header.',
  },
  FST_ERR_CTP_INVALID_MEDIA_TYPE: {
    code: 'FLOWLINE_UNSUPPORTED_MEDIA_TYPE',
    hint: 'Send bodies as application/json.',
    status: 415,
  },
  FST_ERR_CTP_INVALID_CONTENT_LENGTH: {
    code: 'FLOWLINE_REQUEST_MALFORMED',
    hint: 'The Content-Length header does not match the body.',
  },
};

/**
 * The one place where errors become HTTP responses. Domain errors carry their own code; Fastify's
 * parsing and schema errors are translated; anything else is a bug and is reported without its
 * message (it might contain secrets), while the full error goes to the server log.
 */
export function handleError(error: FastifyError, request: FastifyRequest, reply: FastifyReply): void {
  if (error instanceof FlowlineError) {
    void reply.status(httpStatusOf(error.code)).send({ error: error.toJSON() });
    return;
  }
  if (hasZodFastifySchemaValidationErrors(error)) {
    const part = error.validationContext ?? 'body';
    const issues: Issue[] = error.validation.map((v) => ({
      code: String(v.keyword),
      message: v.message ?? 'is invalid',
      path: [part, ...pathSegments(v.instancePath)].join('.'),
    }));
    const body = new FlowlineError(
      'FLOWLINE_REQUEST_INVALID',
      `The request ${part} is invalid: ${issues.map((i) => `${i.path}: ${i.message}`).join('; ')}`,
      { hint: 'See the OpenAPI document at /v1/openapi.json for the expected shape.', issues },
    );
    void reply.status(400).send({ error: body.toJSON() });
    return;
  }
  const mapped = error.code === undefined ? undefined : FASTIFY_CODES[error.code];
  if (mapped !== undefined) {
    const body = new FlowlineError(mapped.code, error.message, { hint: mapped.hint });
    void reply.status(mapped.status ?? httpStatusOf(mapped.code)).send({ error: body.toJSON() });
    return;
  }
  request.log.error({ err: error }, 'unhandled error');
  const body = new FlowlineError('FLOWLINE_INTERNAL', 'Internal error while handling the request.', {
    hint: `Report this with the request id ${request.id} and the server log.`,
  });
  void reply.status(500).send({ error: body.toJSON() });
}

export function handleNotFound(request: FastifyRequest, reply: FastifyReply): void {
  const body = new FlowlineError(
    'FLOWLINE_NOT_FOUND',
    `No route ${request.method} ${request.url.split('?')[0]}.`,
    {
      hint: 'See /v1/openapi.json for the routes this server offers.',
    },
  );
  void reply.status(404).send({ error: body.toJSON() });
}

function pathSegments(instancePath: string): string[] {
  return instancePath.split('/').filter((s) => s !== '');
}
