import { STATUS_CODES } from 'node:http';
import type { Socket } from 'node:net';
import type { FastifyError, FastifyReply, FastifyRequest } from 'fastify';
import { hasZodFastifySchemaValidationErrors } from 'fastify-type-provider-zod';
import { type ErrorCode, FlowlineError, httpStatusOf, type Issue } from '../core/errors.js';

/**
 * The one place where errors become HTTP answers, all in one shape: `{ error: { code, … } }`.
 *
 * Messages never repeat the request's URL or body: many of these answers go to callers who have
 * not authenticated (a bad URL is refused before any route, so before any token is checked), and
 * an echo would turn the server into a reflector of whatever an attacker sends.
 */

/** Fastify's own errors that are the caller's fault, with our code and a message of our own. */
const FASTIFY_CODES: Record<string, { code: ErrorCode; message: string; hint: string }> = {
  FST_ERR_CTP_BODY_TOO_LARGE: {
    code: 'FLOWLINE_REQUEST_TOO_LARGE',
    message: 'The request body is larger than this route accepts.',
    hint: 'Send a smaller body (1 MiB unless the route says otherwise).',
  },
  FST_ERR_CTP_INVALID_JSON_BODY: {
    code: 'FLOWLINE_REQUEST_MALFORMED',
    message: 'The request body is not well-formed JSON.',
    hint: 'Send a well-formed JSON document with Content-Type: application/json.',
  },
  FST_ERR_CTP_EMPTY_JSON_BODY: {
    code: 'FLOWLINE_REQUEST_MALFORMED',
    message: 'The request says Content-Type: application/json but has no body.',
    hint: 'Send a JSON body, or drop the Content-Type header.',
  },
  FST_ERR_CTP_INVALID_MEDIA_TYPE: {
    code: 'FLOWLINE_UNSUPPORTED_MEDIA_TYPE',
    message: 'The request body is in a media type this route does not read.',
    hint: 'Send bodies as application/json.',
  },
  FST_ERR_CTP_INVALID_CONTENT_LENGTH: {
    code: 'FLOWLINE_REQUEST_MALFORMED',
    message: 'The request body does not match its Content-Length header.',
    hint: 'Send exactly as many bytes as Content-Length says.',
  },
  FST_ERR_BAD_URL: {
    code: 'FLOWLINE_REQUEST_MALFORMED',
    message: 'The request URL is not valid percent-encoded UTF-8.',
    hint: 'Percent-encode each byte of the UTF-8 form of the path (`é` is `%C3%A9`).',
  },
  FST_ERR_MAX_PARAM_LENGTH: {
    code: 'FLOWLINE_REQUEST_INVALID',
    message: 'A segment of the request path is longer than any name this API takes.',
    hint: 'See the OpenAPI document at /v1/openapi.json for the routes and their parameters.',
  },
};

/** Errors thrown by handlers, hooks, body parsers and schemas. */
export async function handleError(
  error: FastifyError,
  request: FastifyRequest,
  reply: FastifyReply,
): Promise<FastifyReply> {
  let known = toFlowlineError(error);
  if (known === undefined) {
    // A bug: the full error goes to the server log, the caller gets no message (it might hold secrets).
    request.log.error({ err: error }, 'unhandled error');
    known = new FlowlineError('FLOWLINE_INTERNAL', 'Internal error while handling the request.', {
      hint: `Report this with the request id ${request.id} and the server log.`,
    });
  }
  // The refused body may still be on its way (too large, or refused half-read): read it to the
  // end first, or a client busy sending sees its connection reset instead of the answer.
  if (!(await drainBody(request))) void reply.header('connection', 'close');
  return reply.status(httpStatusOf(known.code)).send({ error: known.toJSON() });
}

/** Errors Fastify meets before any route or hook runs: a URL it cannot decode or route. */
export function handleFrameworkError(
  error: FastifyError,
  _request: FastifyRequest,
  reply: FastifyReply,
): void {
  const known = toFlowlineError(error);
  const body = known ?? new FlowlineError('FLOWLINE_INTERNAL', 'Internal error while routing the request.');
  void reply.status(httpStatusOf(body.code)).send({ error: body.toJSON() });
}

/** Unknown routes. The path is not repeated: anyone can ask, and anything can be in it. */
export function handleNotFound(_request: FastifyRequest, reply: FastifyReply): void {
  const body = new FlowlineError('FLOWLINE_NOT_FOUND', 'This server has no route for that method and path.', {
    hint: 'See /v1/openapi.json for the routes this server offers.',
  });
  void reply.status(404).send({ error: body.toJSON() });
}

/**
 * Requests Node's HTTP parser refuses before Fastify sees them (a NUL byte in a header, a bad
 * method, headers over the size limit, a request that took too long). Answers in our shape when
 * nothing of a response went out on the socket yet, then closes the connection: after a parse
 * error the rest of the bytes on it cannot be trusted.
 */
export function handleClientError(error: NodeJS.ErrnoException, socket: Socket): void {
  if (error.code === 'ECONNRESET' || socket.destroyed) return;
  const inFlight = (socket as Socket & { _httpMessage?: { headersSent?: boolean } })._httpMessage;
  if (!socket.writable || inFlight?.headersSent === true) {
    socket.destroy();
    return;
  }
  const refusal =
    error.code === 'HPE_HEADER_OVERFLOW'
      ? new FlowlineError(
          'FLOWLINE_REQUEST_TOO_LARGE',
          'The request headers are larger than the server reads.',
          {
            hint: 'Send fewer or shorter headers (16 KiB in all).',
          },
        )
      : error.code === 'ERR_HTTP_REQUEST_TIMEOUT'
        ? new FlowlineError('FLOWLINE_REQUEST_TIMEOUT', 'The request did not arrive in time.', {
            hint: 'Send the whole request without pausing; retry.',
          })
        : new FlowlineError('FLOWLINE_REQUEST_MALFORMED', 'The request is not well-formed HTTP/1.1.', {
            hint: 'Check the request line and headers: no control characters, one value per line.',
          });
  const status = httpStatusOf(refusal.code);
  const body = JSON.stringify({ error: refusal.toJSON() });
  socket.end(
    `HTTP/1.1 ${status} ${STATUS_CODES[status] ?? 'Error'}\r\n` +
      'content-type: application/json; charset=utf-8\r\n' +
      `content-length: ${Buffer.byteLength(body)}\r\n` +
      'connection: close\r\n\r\n' +
      body,
    () => socket.destroy(),
  );
}

function toFlowlineError(error: FastifyError): FlowlineError | undefined {
  if (error instanceof FlowlineError) return error;
  if (hasZodFastifySchemaValidationErrors(error)) {
    const part = error.validationContext ?? 'body';
    const issues: Issue[] = error.validation.map((v) => ({
      code: String(v.keyword),
      message: v.message ?? 'is invalid',
      path: [part, ...pathSegments(v.instancePath)].join('.'),
    }));
    return new FlowlineError(
      'FLOWLINE_REQUEST_INVALID',
      `The request ${part} is invalid: ${issues.map((i) => `${i.path}: ${i.message}`).join('; ')}`,
      { hint: 'See the OpenAPI document at /v1/openapi.json for the expected shape.', issues },
    );
  }
  const mapped = error.code === undefined ? undefined : FASTIFY_CODES[error.code];
  return mapped === undefined
    ? undefined
    : new FlowlineError(mapped.code, mapped.message, { hint: mapped.hint });
}

/**
 * How much of a refused body is read and thrown away so that its answer arrives. Closing a socket
 * with unread bytes makes the kernel send a reset, which can destroy the answer before the client
 * reads it; past this, the answer goes out at once and the connection is closed (best effort).
 */
const DRAIN_LIMIT_BYTES = 16 * 1024 * 1024;

/**
 * Reads the rest of the request body, discarding it. Resolves true once it ended (the connection
 * stays usable), false when it is too long to wait for or the connection went away.
 */
function drainBody(request: FastifyRequest): Promise<boolean> {
  const raw = request.raw;
  if (raw.complete || raw.readableEnded) return Promise.resolve(true);
  if (raw.destroyed) return Promise.resolve(false);
  const declared = Number(raw.headers['content-length']);
  if (Number.isFinite(declared) && declared > DRAIN_LIMIT_BYTES) return Promise.resolve(false);
  return new Promise((resolve) => {
    let drained = 0;
    const done = (ended: boolean) => {
      raw.off('data', onData);
      raw.off('end', onEnd);
      raw.off('close', onClose);
      resolve(ended);
    };
    const onData = (chunk: Buffer) => {
      drained += chunk.length;
      if (drained > DRAIN_LIMIT_BYTES) done(false);
    };
    const onEnd = () => done(true);
    const onClose = () => done(raw.complete);
    raw.unpipe(); // from a copy a route gave up on (see detachedBody): nothing reads it any more
    raw.on('data', onData);
    raw.once('end', onEnd);
    raw.once('close', onClose);
    raw.resume();
  });
}

function pathSegments(instancePath: string): string[] {
  return instancePath.split('/').filter((s) => s !== '');
}
