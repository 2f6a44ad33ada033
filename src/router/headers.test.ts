import type { IncomingMessage } from 'node:http';
import { describe, expect, it } from 'vitest';
import { clientHeaders, upstreamHeaders } from './headers.js';

function fakeRequest(headers: Record<string, string>): IncomingMessage {
  return { headers, socket: { remoteAddress: '127.0.0.9' } } as unknown as IncomingMessage;
}

describe('header rewriting', () => {
  it('drops hop-by-hop headers and those named by Connection, keeps Host, adds x-forwarded-*', () => {
    const out = upstreamHeaders(
      fakeRequest({
        host: 'staging.shop.localhost:8080',
        connection: 'keep-alive, x-secret-hop',
        'keep-alive': 'timeout=5',
        'x-secret-hop': '1',
        te: 'trailers',
        'proxy-authorization': 'Basic x',
        expect: '100-continue',
        'x-forwarded-for': '10.0.0.1',
        accept: 'text/html',
      }),
    );
    expect(out).toEqual({
      host: 'staging.shop.localhost:8080',
      accept: 'text/html',
      'x-forwarded-for': '10.0.0.1, 127.0.0.9',
      'x-forwarded-host': 'staging.shop.localhost:8080',
      'x-forwarded-proto': 'http',
    });
  });

  it('passes the answer on without hop-by-hop headers, naming the revision', () => {
    const flat = clientHeaders(
      {
        'content-type': 'text/plain',
        'transfer-encoding': 'chunked',
        connection: 'close, x-hop',
        'x-hop': '1',
        'set-cookie': ['a=1', 'b=2'],
        'x-flowline-revision': 'spoofed',
      },
      'r2',
      'flowline-sticky=42; Path=/',
      false,
    );
    expect(flat).toEqual([
      'content-type',
      'text/plain',
      'set-cookie',
      'a=1',
      'set-cookie',
      'b=2',
      'x-flowline-revision',
      'r2',
      'set-cookie',
      'flowline-sticky=42; Path=/',
    ]);
  });
});
