import { PassThrough, type Readable } from 'node:stream';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { FlowlineError } from '../core/errors.js';

/**
 * How the API reads request bodies: UTF-8 only, and JSON whose strings are all valid Unicode.
 *
 * Every body is text in UTF-8 (JSON, or log lines). A body labelled with another charset would
 * be decoded as UTF-8 anyway and stored garbled, so it is refused before it is read. A JSON
 * string may still spell half a surrogate pair with an escape (`"\ud800"`): JavaScript keeps it,
 * but it has no UTF-8 form, so SQLite would store invalid bytes that every later reader trips on.
 */
export function registerBodyRules(app: FastifyInstance): void {
  // The API speaks JSON only; without this, text/plain bodies would reach the schemas as strings.
  app.removeContentTypeParser('text/plain');
  const parseJson = app.getDefaultJsonParser('error', 'error');
  app.removeContentTypeParser('application/json');
  // Callback style: parsing is synchronous, and a promise per request costs on the hot
  // evaluation routes (docs/adr/0014-token-cache.md, "the request around the evaluation").
  app.addContentTypeParser(
    'application/json',
    { parseAs: 'buffer' },
    (request: FastifyRequest, body: Buffer, done: (error: Error | null, value?: unknown) => void) => {
      let text: string;
      try {
        text = decodeUtf8(body);
      } catch (error) {
        return done(error as Error);
      }
      // Fastify's own parser refuses `__proto__` and `constructor.prototype` keys.
      parseJson(request, text, (error, parsed) => {
        if (error) return done(error);
        let value: unknown;
        try {
          value = refuseLoneSurrogates(text, parsed);
        } catch (refusal) {
          return done(refusal as Error);
        }
        done(null, value);
      });
    },
  );
  // Before any parser (including the raw ones of the log and hook routes) reads a byte.
  app.addHook('preParsing', (request, _reply, payload, done) => {
    try {
      assertUtf8Charset(request);
    } catch (error) {
      return done(error as Error);
    }
    done(null, payload);
  });
}

/**
 * A request body for a route that reads it as a stream (logs, artifacts), as a stream of its own.
 * A consumer that gives up (a batch too large, a malformed archive) destroys its source, and
 * destroying the request itself would reset the connection before the refusal is written: this
 * way only the copy is destroyed, and the error handler reads away the rest (errors.ts). The
 * request's end of life still reaches the copy: a client that goes away fails the read.
 */
export function detachedBody(payload: Readable): Readable {
  const body = new PassThrough();
  payload.once('error', (error) => body.destroy(error));
  payload.once('close', () => {
    if (!payload.readableEnded) body.destroy(new Error('the client closed the connection mid-body'));
  });
  return payload.pipe(body);
}

/** Parses a JSON body read raw by a route of its own (the hooks), with the same rules. */
export function parseJsonBody(body: Buffer): unknown {
  const text = decodeUtf8(body);
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    throw new FlowlineError('FLOWLINE_REQUEST_MALFORMED', 'The request body is not well-formed JSON.', {
      hint: 'Send a well-formed JSON document with Content-Type: application/json.',
    });
  }
  return refuseLoneSurrogates(text, value);
}

const UTF8 = new TextDecoder('utf-8', { fatal: true });

function decodeUtf8(body: Buffer): string {
  try {
    return UTF8.decode(body);
  } catch {
    throw new FlowlineError('FLOWLINE_REQUEST_MALFORMED', 'The request body is not valid UTF-8.', {
      hint: 'Encode the body as UTF-8.',
    });
  }
}

/** Refuses a body that names a charset other than UTF-8 (`application/json; charset=utf-16`). */
function assertUtf8Charset(request: FastifyRequest): void {
  const type = request.headers['content-type'];
  if (type === undefined || !hasBody(request)) return;
  const charset = /;\s*charset\s*=\s*"?([^";\s]*)"?/i.exec(type)?.[1]?.toLowerCase();
  if (charset === undefined || charset === 'utf-8' || charset === 'utf8') return;
  throw new FlowlineError('FLOWLINE_UNSUPPORTED_MEDIA_TYPE', 'The request body must be encoded as UTF-8.', {
    hint: 'Send the body in UTF-8, with `charset=utf-8` or no charset in Content-Type.',
  });
}

function hasBody(request: FastifyRequest): boolean {
  const length = request.headers['content-length'];
  return request.headers['transfer-encoding'] !== undefined || (length !== undefined && length !== '0');
}

/** An escape of a surrogate (`\ud800`); a body without one cannot hold a lone surrogate. */
const SURROGATE_ESCAPE = /\\u[dD][89a-fA-F]/;
/** A surrogate that is not half of a pair: under the `u` flag, pairs read as one code point. */
const LONE_SURROGATE = /\p{Cs}/u;

/** Returns `value`, or throws naming the first string (key or value) that is not valid Unicode. */
function refuseLoneSurrogates(text: string, value: unknown): unknown {
  if (!SURROGATE_ESCAPE.test(text)) return value;
  const path = loneSurrogatePath(value);
  if (path === undefined) return value;
  const where = ['body', ...path].join('.');
  throw new FlowlineError(
    'FLOWLINE_REQUEST_INVALID',
    `The request body holds a string that is not valid Unicode at ${where}.`,
    {
      hint: 'A \\uD800–\\uDFFF escape must be half of a surrogate pair; send the text as UTF-8.',
      issues: [{ code: 'invalid_unicode', message: 'holds a lone surrogate', path: where }],
    },
  );
}

/** A value met while walking a body, and how it was reached (a linked path: no copying). */
interface Step {
  readonly value: unknown;
  readonly parent: Step | undefined;
  readonly segment: string;
}

/**
 * The path to the first string (key or value) with a lone surrogate. Iterative: JSON.parse
 * accepts nesting far deeper than the call stack. Path segments are cut short and made printable.
 */
function loneSurrogatePath(root: unknown): string[] | undefined {
  const stack: Step[] = [{ value: root, parent: undefined, segment: '' }];
  for (let step = stack.pop(); step !== undefined; step = stack.pop()) {
    const { value } = step;
    if (typeof value === 'string') {
      if (LONE_SURROGATE.test(value)) return pathOf(step);
    } else if (Array.isArray(value)) {
      for (let i = value.length - 1; i >= 0; i--)
        stack.push({ value: value[i], parent: step, segment: String(i) });
    } else if (typeof value === 'object' && value !== null) {
      const entries = Object.entries(value);
      const badKey = entries.find(([key]) => LONE_SURROGATE.test(key))?.[0];
      if (badKey !== undefined) return pathOf({ value: badKey, parent: step, segment: badKey });
      for (let i = entries.length - 1; i >= 0; i--) {
        const [key, child] = entries[i] as [string, unknown];
        stack.push({ value: child, parent: step, segment: key });
      }
    }
  }
  return undefined;
}

function pathOf(step: Step): string[] {
  const path: string[] = [];
  for (let at: Step | undefined = step; at?.parent !== undefined; at = at.parent) {
    path.push(at.segment.replace(/\p{Cs}/gu, '\uFFFD').slice(0, 64));
  }
  return path.reverse();
}
