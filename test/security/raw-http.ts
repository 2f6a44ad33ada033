import net from 'node:net';

/** An HTTP/1.1 answer as it came off the wire. */
export interface RawAnswer {
  readonly status: number;
  /** Header names in lower case. */
  readonly headers: Readonly<Record<string, string>>;
  readonly body: string;
  /** Everything the server wrote, to check that nothing was echoed anywhere. */
  readonly text: string;
}

/**
 * Writes `request` byte for byte on a new connection, as an attacker's script would (no client
 * library to clean it up), and reads until the server closes the connection. Send
 * `Connection: close` in requests the server would otherwise keep open.
 */
export function rawRequest(port: number, request: string | Buffer): Promise<RawAnswer> {
  return new Promise((resolve, reject) => {
    const socket = net.connect(port, '127.0.0.1');
    const chunks: Buffer[] = [];
    socket.on('data', (chunk: Buffer) => chunks.push(chunk));
    socket.on('error', reject);
    socket.on('end', () => {
      socket.end();
      try {
        resolve(parseAnswer(Buffer.concat(chunks)));
      } catch (error) {
        reject(error);
      }
    });
    socket.write(request);
  });
}

function parseAnswer(bytes: Buffer): RawAnswer {
  const text = bytes.toString('utf8');
  const split = text.indexOf('\r\n\r\n');
  if (split === -1) throw new Error(`no HTTP answer, got ${JSON.stringify(text.slice(0, 200))}`);
  const [statusLine = '', ...lines] = text.slice(0, split).split('\r\n');
  const status = Number(/^HTTP\/1\.[01] (\d{3})/.exec(statusLine)?.[1]);
  if (!Number.isInteger(status)) throw new Error(`not an HTTP status line: ${statusLine}`);
  const headers: Record<string, string> = {};
  for (const line of lines) {
    const colon = line.indexOf(':');
    headers[line.slice(0, colon).trim().toLowerCase()] = line.slice(colon + 1).trim();
  }
  return { status, headers, body: text.slice(split + 4), text };
}

/** The `error` of a Flowline-shaped answer; throws if the body is not one. */
export function errorOf(answer: RawAnswer): { code: string; message: string; issues?: { path: string }[] } {
  expectJson(answer);
  const parsed = JSON.parse(answer.body) as { error?: { code?: unknown; message?: unknown } };
  if (typeof parsed.error?.code !== 'string' || typeof parsed.error.message !== 'string') {
    throw new Error(`not a Flowline error: ${answer.body.slice(0, 200)}`);
  }
  return parsed.error as { code: string; message: string };
}

function expectJson(answer: RawAnswer): void {
  if (!/^application\/json\b/.test(answer.headers['content-type'] ?? '')) {
    throw new Error(`not JSON: ${answer.headers['content-type']} ${answer.body.slice(0, 200)}`);
  }
}
