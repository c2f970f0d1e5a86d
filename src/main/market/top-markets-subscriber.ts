import type { Clock, Timer } from '../../shared/clock.js';
import type { HttpStream } from '../server/transport.js';
import type { FeedListener, TopMarketsFeed } from './top-markets-feed.js';

export interface SubscriberOptions {
  readonly limit: number;
  /** `interval_s`: a ping this often, and at most one event per interval. */
  readonly intervalMs: number;
  /** `max_events`: end the stream after this many events (0 = never). */
  readonly maxEvents: number;
}

/**
 * One Server-Sent Events client of `/api/market/top_markets/stream` (contract §5, trade_canvas's
 * stream): an event `top_markets` (`id:` = generated_at_ms) when its page's items changed, an
 * event `error` when the list cannot be had, a comment `: ping <unix s>` every interval. Events go
 * out at most once per interval and never while the socket has backpressure: a slow reader gets
 * the latest page once it drains (latest wins), so what is queued per client stays one event.
 */
export class TopMarketsSubscriber implements FeedListener {
  readonly limit: number;
  private lastItems: string | null = null;
  private lastErrorSeq = 0;
  private lastEventAt = -Infinity;
  private pending = false;
  private events = 0;
  private timer: Timer | undefined;
  private done = false;

  constructor(
    private readonly out: HttpStream,
    private readonly feed: TopMarketsFeed,
    private readonly options: SubscriberOptions,
    private readonly clock: Clock,
    /** Called once when the stream ends, for whatever reason. */
    private readonly onEnd: (sub: TopMarketsSubscriber) => void,
  ) {
    this.limit = options.limit;
  }

  start(): void {
    this.out.onClose(() => this.finish(false));
    this.out.onWritable(() => {
      if (this.pending) this.flush();
    });
    // Headers go out with the first chunk: a comment, so EventSource opens at once.
    this.out.write(': top_markets\n\n');
    this.schedule();
    this.feed.add(this);
  }

  update(): void {
    if (this.done) return;
    if (this.out.writable && this.clock.now() - this.lastEventAt >= this.options.intervalMs) this.flush();
    else this.pending = true;
  }

  /** Ends the stream from the server side (shutdown). */
  end(): void {
    this.finish(true);
  }

  private flush(): void {
    this.pending = false;
    const page = this.feed.page(this.limit);
    if (page && page.itemsJson !== this.lastItems) {
      this.lastItems = page.itemsJson;
      this.emit(`id: ${page.id}\nevent: top_markets\ndata: ${page.json}\n\n`);
      return;
    }
    const error = this.feed.lastError();
    if (!page && error && error.seq !== this.lastErrorSeq) {
      this.lastErrorSeq = error.seq;
      this.emit(`event: error\ndata: ${error.json}\n\n`);
    }
  }

  private emit(chunk: string): void {
    this.out.write(chunk);
    this.lastEventAt = this.clock.now();
    this.events++;
    if (this.options.maxEvents > 0 && this.events >= this.options.maxEvents) this.finish(true);
  }

  private schedule(): void {
    this.timer = this.clock.setTimeout(() => this.tick(), this.options.intervalMs);
  }

  private tick(): void {
    if (this.done) return;
    if (this.pending && this.out.writable) this.flush();
    if (this.done) return;
    // A ping only when nothing is queued: a stalled reader does not collect them.
    if (this.out.writable) this.out.write(`: ping ${Math.floor(this.clock.now() / 1000)}\n\n`);
    this.schedule();
  }

  private finish(endStream: boolean): void {
    if (this.done) return;
    this.done = true;
    if (this.timer !== undefined) this.clock.clearTimeout(this.timer);
    this.feed.remove(this);
    if (endStream) this.out.end();
    this.onEnd(this);
  }
}
