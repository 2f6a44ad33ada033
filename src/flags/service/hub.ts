import type { FlagService, ServedFlagSet } from './types.js';

/** One subscriber of a flag stream (an HTTP response, in the server). */
export interface StreamSink {
  /** Writes bytes; the sink drops itself (calls the unsubscribe) if its client is too slow. */
  write(chunk: Buffer): void;
  end(): void;
}

interface Channel {
  readonly service: string;
  readonly environment: string;
  /** Each subscriber and the version it last received (-1: none). */
  readonly sinks: Map<StreamSink, number>;
  /** The newest version seen, so a slow read cannot send an older set after a newer one. */
  latest: number;
  /** The event of `latest`, serialised once for every subscriber. */
  event: Buffer | undefined;
}

const KEEP_ALIVE = Buffer.from(': keep-alive\n\n');

/**
 * Server-sent events of flag sets: one channel per service and environment. A change is
 * serialised once (`event: flags`, `id: <version>`, `data: <document JSON>`) and the same bytes
 * are written to every subscriber, so a thousand subscribers cost a thousand socket writes and
 * nothing more. One timer writes a keep-alive comment to everyone every 15 seconds.
 */
export class FlagStreamHub {
  private readonly channels = new Map<string, Channel>();
  private readonly timer: NodeJS.Timeout;
  private readonly unsubscribe: () => void;

  constructor(
    private readonly flags: Pick<FlagService, 'served' | 'onChange'>,
    options: { keepAliveMs?: number; onError?: (error: unknown) => void } = {},
  ) {
    const onError = options.onError ?? (() => {});
    this.unsubscribe = flags.onChange((service, environment) => {
      const channel = this.channels.get(`${service}\0${environment}`);
      if (channel !== undefined && channel.sinks.size > 0) this.publish(channel).catch(onError);
    });
    this.timer = setInterval(() => {
      for (const channel of this.channels.values())
        for (const sink of channel.sinks.keys()) sink.write(KEEP_ALIVE);
    }, options.keepAliveMs ?? 15_000);
    this.timer.unref();
  }

  /** Subscribers across all channels. */
  get size(): number {
    let total = 0;
    for (const channel of this.channels.values()) total += channel.sinks.size;
    return total;
  }

  /**
   * Adds a subscriber and sends it the current set, unless `lastEventId` already names the
   * current version (a reconnecting client that missed nothing). Returns the unsubscribe.
   */
  async subscribe(
    service: string,
    environment: string,
    sink: StreamSink,
    lastEventId?: string,
  ): Promise<() => void> {
    const key = `${service}\0${environment}`;
    let channel = this.channels.get(key);
    if (channel === undefined) {
      channel = { service, environment, sinks: new Map(), latest: -1, event: undefined };
      this.channels.set(key, channel);
    }
    const seen = lastEventId === undefined || !/^\d+$/.test(lastEventId.trim()) ? -1 : Number(lastEventId);
    channel.sinks.set(sink, seen);
    const remove = () => {
      const current = this.channels.get(key);
      if (current === undefined) return;
      current.sinks.delete(sink);
      if (current.sinks.size === 0) this.channels.delete(key);
    };
    await this.publish(channel);
    return remove;
  }

  /** Ends every stream (the server is closing) and stops the keep-alive timer. */
  close(): void {
    clearInterval(this.timer);
    this.unsubscribe();
    for (const channel of this.channels.values()) for (const sink of channel.sinks.keys()) sink.end();
    this.channels.clear();
  }

  /** Sends the current set to every subscriber of the channel that does not have it yet. */
  private async publish(channel: Channel): Promise<void> {
    const served = await this.flags.served(channel.service, channel.environment);
    const version = served.document.version;
    if (version < channel.latest) return;
    if (version > channel.latest || channel.event === undefined) {
      channel.latest = version;
      channel.event = eventOf(served);
    }
    const event = channel.event;
    for (const [sink, sent] of channel.sinks) {
      if (sent === version) continue;
      channel.sinks.set(sink, version);
      sink.write(event);
    }
  }
}

/** The server-sent event of a flag set version. The JSON has no raw newlines, so one `data:` line. */
export function eventOf(served: ServedFlagSet): Buffer {
  return Buffer.from(`event: flags\nid: ${served.document.version}\ndata: ${served.json}\n\n`);
}
