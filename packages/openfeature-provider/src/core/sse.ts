/**
 * A server-sent events parser (WHATWG HTML, "event stream interpretation"), fed text chunks as
 * they arrive from a fetch body: Node 20 has no EventSource, and EventSource cannot send an
 * Authorization header anyway.
 */

/** One dispatched event. */
export interface SseEvent {
  /** `event:` field; `message` when absent. */
  readonly event: string;
  /** `data:` lines joined with `\n`. */
  readonly data: string;
  /** The last event id seen on this stream so far (`id:` fields persist across events). */
  readonly lastEventId: string;
}

export class SseParser {
  #line = '';
  #afterCR = false;
  #event = '';
  #data: string[] = [];
  #lastEventId = '';
  /** The reconnection time the server asked for with `retry:`, if any. */
  retryMs: number | undefined;

  /** The id to send as `Last-Event-ID` when reconnecting ('' when none was seen). */
  get lastEventId(): string {
    return this.#lastEventId;
  }

  /** Consumes a chunk (any split: mid-line, between CR and LF) and returns the events it completed. */
  feed(chunk: string): SseEvent[] {
    const events: SseEvent[] = [];
    let start = 0;
    for (let i = 0; i < chunk.length; i++) {
      const char = chunk.charCodeAt(i);
      if (char !== 10 && char !== 13) continue;
      if (char === 10 && this.#afterCR && i === start && this.#line === '') {
        // The LF of a CRLF whose CR ended the previous chunk.
        this.#afterCR = false;
        start = i + 1;
        continue;
      }
      this.#processLine(this.#line + chunk.slice(start, i), events);
      this.#line = '';
      if (char === 13 && i + 1 < chunk.length) {
        if (chunk.charCodeAt(i + 1) === 10) i++;
        this.#afterCR = false;
      } else {
        // A CR ending the chunk: the next chunk may start with its LF.
        this.#afterCR = char === 13;
      }
      start = i + 1;
    }
    if (start < chunk.length) {
      this.#line += chunk.slice(start);
      this.#afterCR = false;
    }
    return events;
  }

  #processLine(line: string, events: SseEvent[]): void {
    if (line === '') {
      this.#dispatch(events);
      return;
    }
    if (line.startsWith(':')) return; // a comment, e.g. `: keep-alive`
    const colon = line.indexOf(':');
    const field = colon === -1 ? line : line.slice(0, colon);
    let value = colon === -1 ? '' : line.slice(colon + 1);
    if (value.startsWith(' ')) value = value.slice(1);
    switch (field) {
      case 'event':
        this.#event = value;
        break;
      case 'data':
        this.#data.push(value);
        break;
      case 'id':
        if (!value.includes('\0')) this.#lastEventId = value;
        break;
      case 'retry':
        if (/^\d+$/.test(value)) this.retryMs = Number(value);
        break;
      default:
      // Unknown fields are ignored, as the standard says.
    }
  }

  #dispatch(events: SseEvent[]): void {
    if (this.#data.length > 0) {
      events.push({
        event: this.#event || 'message',
        data: this.#data.join('\n'),
        lastEventId: this.#lastEventId,
      });
    }
    this.#event = '';
    this.#data = [];
  }
}
