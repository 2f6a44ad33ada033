import net from 'node:net';

/** Asks the kernel for a free TCP port: binds port 0, reads the port, releases it. */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.unref();
    server.once('error', reject);
    // No host: the dual-stack wildcard, the address a service listening on $PORT usually binds.
    server.listen(0, () => {
      const address = server.address();
      const port = typeof address === 'object' && address !== null ? address.port : 0;
      server.close(() => (port > 0 ? resolve(port) : reject(new Error('the kernel gave no port'))));
    });
  });
}

/**
 * The ports handed to this runtime's instances. A port is free when allocated, but nothing holds
 * it until the instance binds it: the pool at least never hands the same port to two of its own
 * instances, and an instance that finds its port taken is started again on another one.
 */
export class PortPool {
  readonly #inUse = new Set<number>();

  constructor(private readonly allocate: () => Promise<number> = freePort) {}

  /** A port no instance of this pool holds. */
  async take(): Promise<number> {
    for (let i = 0; i < 20; i++) {
      const port = await this.allocate();
      if (!this.#inUse.has(port)) {
        this.#inUse.add(port);
        return port;
      }
    }
    throw new Error('could not find a free port after 20 tries');
  }

  /** Marks a port as held (an adopted instance's). */
  hold(port: number): void {
    this.#inUse.add(port);
  }

  release(port: number | null): void {
    if (port !== null) this.#inUse.delete(port);
  }
}
