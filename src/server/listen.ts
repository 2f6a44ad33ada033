import type { FastifyInstance } from 'fastify';
import { FlowlineError } from '../core/errors.js';

export interface Listening {
  /** Base URL, e.g. http://127.0.0.1:7420 */
  readonly url: string;
  readonly port: number;
  /** Stops accepting, lets in-flight requests finish, then resolves. */
  close(): Promise<void>;
}

/** Starts listening; a taken port becomes FLOWLINE_PORT_IN_USE instead of a raw EADDRINUSE. */
export async function listen(
  app: FastifyInstance,
  options: { port: number; host: string },
): Promise<Listening> {
  try {
    await app.listen({ port: options.port, host: options.host });
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'EADDRINUSE') {
      throw new FlowlineError(
        'FLOWLINE_PORT_IN_USE',
        `Port ${options.port} on ${options.host} is already in use.`,
        {
          hint: 'Stop what listens there, or pick another port with --port.',
        },
      );
    }
    throw error;
  }
  const address = app.server.address();
  const port = typeof address === 'object' && address !== null ? address.port : options.port;
  const host = options.host.includes(':') ? `[${options.host}]` : options.host;
  return { url: `http://${host}:${port}`, port, close: () => app.close() };
}
