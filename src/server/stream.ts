import type { FastifyReply } from 'fastify';
import { FlowlineError, httpStatusOf } from '../core/errors.js';

/** One line of a progress stream (`application/x-ndjson`). */
export type StreamLine =
  | { readonly type: 'progress'; readonly line: string }
  | { readonly type: 'result'; readonly result: unknown }
  | { readonly type: 'error'; readonly status: number; readonly error: unknown };

/**
 * Runs a long operation and streams its progress as newline-delimited JSON, ending with a
 * `result` or an `error` line. The operation runs to its end even if the client goes away:
 * a deploy must finish or undo itself, never stop half-way because a terminal closed.
 */
export async function streamProgress(
  reply: FastifyReply,
  run: (progress: (line: string) => void) => Promise<unknown>,
): Promise<void> {
  reply.hijack();
  const raw = reply.raw;
  raw.writeHead(200, { 'content-type': 'application/x-ndjson', 'cache-control': 'no-store' });
  const write = (line: StreamLine) => {
    if (!raw.destroyed) raw.write(`${JSON.stringify(line)}\n`);
  };
  try {
    const result = await run((line) => write({ type: 'progress', line }));
    write({ type: 'result', result });
  } catch (error) {
    const known =
      error instanceof FlowlineError
        ? error
        : new FlowlineError('FLOWLINE_INTERNAL', 'Internal error during the operation.', { cause: error });
    if (!(error instanceof FlowlineError)) reply.log.error({ err: error }, 'streamed operation failed');
    write({ type: 'error', status: httpStatusOf(known.code), error: known.toJSON() });
  } finally {
    raw.end();
  }
}
