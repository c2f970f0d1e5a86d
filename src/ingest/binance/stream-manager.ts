import type { KlineFrame } from '../../domain/kline-frame.js';
import type { LiveMarket } from '../../domain/series-id.js';
import { createLogger } from '../../shared/log.js';
import { MARKET_LIMITS } from '../../exchange/binance/binance-endpoints.js';
import { BinanceStream, type BinanceStreamOptions, type BinanceStreamStats } from './binance-stream.js';

/**
 * Spreads the kline streams of one market over as few combined-stream connections as the limits
 * allow (sources.md: futures ≤ 200 streams per connection, spot ≤ 1024). A new stream joins the
 * first connection with room, so adds in a burst share one connect URL; a connection whose last
 * stream leaves is closed. Connections never rebalance: moving a stream would cost a SUBSCRIBE on
 * one socket and an UNSUBSCRIBE on another, both against the inbound message limit.
 */
export interface StreamManagerOptions extends Omit<BinanceStreamOptions, 'inboundMsgsPerSecond' | 'idBase' | 'logger'> {
  readonly market: LiveMarket;
  /** Overrides MARKET_LIMITS (tests). */
  readonly maxStreamsPerConnection?: number;
  readonly inboundMsgsPerSecond?: number;
}

export interface StreamManagerStats {
  market: LiveMarket;
  streams: number;
  connections: BinanceStreamStats[];
}

/** Connection ids of different streams stay distinct in logs: stream k numbers from k × ID_BLOCK. */
const ID_BLOCK = 1_000_000;

export class BinanceStreamManager {
  private readonly streams: BinanceStream[] = [];
  private readonly owner = new Map<string, BinanceStream>();
  private readonly maxPerConnection: number;
  private readonly inboundLimit: number;
  private created = 0;

  constructor(private readonly opts: StreamManagerOptions) {
    const limits = MARKET_LIMITS[opts.market];
    this.maxPerConnection = opts.maxStreamsPerConnection ?? limits.maxStreamsPerConnection;
    this.inboundLimit = opts.inboundMsgsPerSecond ?? limits.inboundMsgsPerSecond;
  }

  has(stream: string): boolean {
    return this.owner.has(stream);
  }

  get size(): number {
    return this.owner.size;
  }

  add(stream: string): void {
    if (this.owner.has(stream)) return;
    let target = this.streams.find((s) => s.streams.size < this.maxPerConnection);
    if (target === undefined) {
      target = new BinanceStream({
        ...this.opts,
        inboundMsgsPerSecond: this.inboundLimit,
        serverPingIntervalMs: this.opts.serverPingIntervalMs ?? MARKET_LIMITS[this.opts.market].serverPingIntervalMs,
        onKline: (frame: KlineFrame) => this.opts.onKline(frame),
        idBase: ++this.created * ID_BLOCK,
        logger: createLogger(`ingest.binance.${this.opts.market}`),
      });
      this.streams.push(target);
    }
    this.owner.set(stream, target);
    target.add([stream]);
  }

  remove(stream: string): void {
    const target = this.owner.get(stream);
    if (target === undefined) return;
    this.owner.delete(stream);
    target.remove([stream]);
    if (target.streams.size === 0) {
      target.close();
      this.streams.splice(this.streams.indexOf(target), 1);
    }
  }

  /** Stats of the connection carrying `stream`, if any. */
  statsOf(stream: string): BinanceStreamStats | undefined {
    return this.owner.get(stream)?.stats();
  }

  /** Make-before-break rotation of every connection (operators, tests). */
  rotateAll(reason: string): void {
    for (const s of this.streams) s.rotate(reason);
  }

  stats(): StreamManagerStats {
    return { market: this.opts.market, streams: this.owner.size, connections: this.streams.map((s) => s.stats()) };
  }

  close(): void {
    for (const s of this.streams) s.close();
    this.streams.length = 0;
    this.owner.clear();
  }
}
