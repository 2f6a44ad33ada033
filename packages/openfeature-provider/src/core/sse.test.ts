import { describe, expect, it } from 'vitest';
import { SseParser } from './sse.js';

function parseAll(chunks: readonly string[]) {
  const parser = new SseParser();
  return { events: chunks.flatMap((chunk) => parser.feed(chunk)), parser };
}

describe('the server-sent events parser', () => {
  it('dispatches an event at a blank line, with its type, id and data', () => {
    const { events } = parseAll(['event: flags\nid: 7\ndata: {"a":1}\n\n']);
    expect(events).toEqual([{ event: 'flags', data: '{"a":1}', lastEventId: '7' }]);
  });

  it('joins multi-line data with newlines and defaults the type to message', () => {
    const { events } = parseAll(['data: first\ndata:second\ndata\n\n']);
    expect(events).toEqual([{ event: 'message', data: 'first\nsecond\n', lastEventId: '' }]);
  });

  it('ignores comments such as keep-alives, and unknown fields', () => {
    const { events } = parseAll([': keep-alive\n\n', 'colour: red\n: another\ndata: x\n\n']);
    expect(events).toEqual([{ event: 'message', data: 'x', lastEventId: '' }]);
  });

  it('reassembles lines split anywhere across chunks, CRLF split between chunks included', () => {
    const text = 'event: flags\r\nid: 12\r\ndata: {"version":\r\ndata: 12}\r\n\r\n';
    const expected = [{ event: 'flags', data: '{"version":\n12}', lastEventId: '12' }];
    for (let size = 1; size <= text.length; size++) {
      const chunks: string[] = [];
      for (let i = 0; i < text.length; i += size) chunks.push(text.slice(i, i + size));
      expect(parseAll(chunks).events, `chunks of ${size}`).toEqual(expected);
    }
  });

  it('accepts CR alone as a line end', () => {
    expect(parseAll(['data: a\rdata: b\r\r']).events).toEqual([
      { event: 'message', data: 'a\nb', lastEventId: '' },
    ]);
  });

  it('keeps the last id across events and ignores ids containing NUL', () => {
    const { events, parser } = parseAll(['id: 3\ndata: a\n\n', 'data: b\n\n', 'id: x\0y\ndata: c\n\n']);
    expect(events.map((event) => event.lastEventId)).toEqual(['3', '3', '3']);
    expect(parser.lastEventId).toBe('3');
  });

  it('does not dispatch an event without data, and resets its type', () => {
    const { events } = parseAll(['event: flags\nid: 4\n\n', 'data: later\n\n']);
    expect(events).toEqual([{ event: 'message', data: 'later', lastEventId: '4' }]);
  });

  it('reads retry only when it is all digits, and never dispatches an unfinished event', () => {
    const { events, parser } = parseAll(['retry: 2500\nretry: soon\ndata: pending']);
    expect(parser.retryMs).toBe(2500);
    expect(events).toEqual([]);
  });
});
