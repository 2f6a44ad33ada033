import net from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { handleClientError } from './errors.js';

// Node's HTTP parser hands these errors to the server's `clientError` listener with the socket;
// here the socket is a real TCP connection, and the client reads what went over the wire.

let server: net.Server;
let port: number;
const accepted: net.Socket[] = [];

beforeAll(async () => {
  server = net.createServer((socket) => accepted.push(socket));
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  port = (server.address() as net.AddressInfo).port;
});
afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

/** Connects, lets the server side meet `error`, and returns what the client received. */
async function answerTo(error: NodeJS.ErrnoException): Promise<string> {
  const client = net.connect(port, '127.0.0.1');
  const received = new Promise<string>((resolve, reject) => {
    let text = '';
    client.on('data', (chunk: Buffer) => {
      text += chunk.toString('utf8');
    });
    client.on('error', reject);
    client.on('end', () => resolve(text));
  });
  await new Promise((resolve) => client.once('connect', resolve));
  while (accepted.length === 0) await new Promise((resolve) => setImmediate(resolve));
  const socket = accepted.shift() as net.Socket;
  handleClientError(error, socket);
  const text = await received;
  client.destroy();
  return text;
}

const failure = (code: string) => Object.assign(new Error(code), { code });

describe('answers to requests the HTTP parser refuses', () => {
  it.each([
    ['HPE_INVALID_HEADER_TOKEN', 400, 'FLOWLINE_REQUEST_MALFORMED'],
    ['HPE_HEADER_OVERFLOW', 413, 'FLOWLINE_REQUEST_TOO_LARGE'],
    ['ERR_HTTP_REQUEST_TIMEOUT', 408, 'FLOWLINE_REQUEST_TIMEOUT'],
  ])('%s: %i with %s in JSON, then the connection closes', async (code, status, flowlineCode) => {
    const text = await answerTo(failure(code));
    const [head = '', body = ''] = text.split('\r\n\r\n');
    expect(head).toMatch(new RegExp(`^HTTP/1\\.1 ${status} `));
    expect(head).toContain('connection: close');
    expect(head).toContain(`content-length: ${Buffer.byteLength(body)}`);
    expect(JSON.parse(body)).toMatchObject({ error: { code: flowlineCode } });
  });
});
