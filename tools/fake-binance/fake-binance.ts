import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { FakeConnection, FakeConnectionStats } from './fake-connection.js';
import { answerHttp } from './fake-http-routes.js';
import { DEFAULT_TICK_MS, generatorOptions, speedOf, type FakeBinanceOptions } from './fake-options.js';
import { FakeMarketData } from './fake-market-data.js';
import { FakeRest, type FakeMarket } from './fake-rest.js';
import type { KlineSource } from './rest-klines.js';
import { KlineGenerator, type GeneratedFrame } from './kline-generator.js';
import { prepareBlast, sendBlast, type PreparedBlast } from './fake-blast.js';
import { floodLoop, ReplayDriver, replayTimer } from './fake-drivers.js';
import { loadReplayFile, ReplayHistory } from './replay.js';
import { VirtualClock } from './virtual-clock.js';
import { FakeWsEndpoint } from './fake-ws-endpoint.js';

export type { FakeBinanceOptions } from './fake-options.js';
export type { PreparedBlast } from './fake-blast.js';

/**
 * A loopback stand-in for Binance (spot and USD-M on one port). WebSocket: raw `/ws/<stream>`,
 * combined `/stream?streams=a/b`, live (UN)SUBSCRIBE; a `/market` or `/public` path prefix means
 * futures (so `ws://127.0.0.1:P/market` works like `wss://fstream.binance.com/market`), none means
 * spot. REST: `/api/v3/klines`, `/fapi/v1/klines`, with history `historyDays` back; 24h tickers and
 * exchangeInfo of both markets (fake-market-data.ts). Faults and
 * introspection: methods below and HTTP `/__control/...` (fake-control.ts). Data: one price path
 * per symbol and market (kline-generator.ts, virtual clock), or a replayed recording (replay.ts).
 * This class drives time and generation; HTTP routing is fake-http-routes.ts, the WebSocket
 * connections fake-ws-endpoint.ts.
 */

export class FakeBinance {
  readonly generators: Record<FakeMarket, KlineGenerator>;
  readonly rest: FakeRest;
  readonly marketData: FakeMarketData;
  /** The open WebSocket connections (the same set the endpoint keeps). */
  readonly connections: Set<FakeConnection>;
  /** Every generated frame, in order, when `recordFrames` is set. */
  readonly frameLog: { readonly market: FakeMarket; readonly frame: GeneratedFrame }[] = [];
  private readonly ws: FakeWsEndpoint;
  private readonly server: Server;
  private readonly clock: VirtualClock;
  private readonly replay: ReplayDriver | undefined;
  private ticker: NodeJS.Timeout | undefined;
  /** Stops the flood or replay driver, whichever runs. */
  private stopDriver: (() => void) | undefined;

  private constructor(private readonly opts: FakeBinanceOptions) {
    const replayMarket = opts.replay?.market ?? 'futures';
    let replayHistory: ReplayHistory | undefined;
    if (opts.replay) {
      // REST learns a recorded bar only once the replay has sent its close (ReplayDriver).
      replayHistory = new ReplayHistory();
      this.replay = new ReplayDriver(loadReplayFile(opts.replay.file), replayHistory, (stream, data) => this.ws.deliver(replayMarket, stream, data));
    }
    // A replay keeps its recorded times: the clock starts at the recording's first frame.
    this.clock = new VirtualClock(opts.startTimeMs ?? this.replay?.startMs ?? Date.now(), speedOf(opts), opts.paused ?? false);
    const generator = (market: FakeMarket) => new KlineGenerator(generatorOptions(opts, market, this.clock.startVirtual));
    this.generators = { spot: generator('spot'), futures: generator('futures') };
    const sources: Record<FakeMarket, KlineSource> = { ...this.generators };
    if (replayHistory) sources[replayMarket] = replayHistory;
    this.rest = new FakeRest(sources, () => this.now(), opts.rest);
    this.marketData = new FakeMarketData(this.generators, () => this.now(), this.rest, opts.symbols);
    for (const market of ['spot', 'futures'] as const) for (const s of opts.streams?.[market] ?? []) this.generators[market].addStream(s, this.now());
    this.ws = new FakeWsEndpoint(opts, (market, streams) => this.ensureStreams(market, streams));
    this.connections = this.ws.connections;
    this.server = createServer((req, res) => answerHttp(this, req, res));
    this.server.on('upgrade', (req, socket, head) => this.ws.accept(req, socket, head));
    if (this.replay) {
      if (!this.clock.paused) this.stopDriver = replayTimer(this.replay, this.clock);
    } else this.ticker = setInterval(() => this.tick(), opts.tickMs ?? DEFAULT_TICK_MS);
  }

  static async start(options: FakeBinanceOptions = {}): Promise<FakeBinance> {
    const fake = new FakeBinance(options);
    await new Promise<void>((resolve, reject) => {
      fake.server.once('error', reject);
      fake.server.listen(options.port ?? 0, options.host ?? '127.0.0.1', () => resolve());
    });
    return fake;
  }

  get port(): number {
    return (this.server.address() as AddressInfo).port;
  }

  /** WebSocket base URL as the gateway settings take it (futures with the `/market` prefix). */
  wsUrl(market: FakeMarket): string {
    return `ws://127.0.0.1:${this.port}${market === 'futures' ? '/market' : ''}`;
  }

  restUrl(): string {
    return `http://127.0.0.1:${this.port}`;
  }

  /** Virtual time of the generator, ms. */
  now(): number {
    return this.clock.now();
  }

  /** Resolves once connections of `market` are subscribed to every one of `streams`. */
  subscribed(market: FakeMarket, streams: readonly string[]): Promise<void> {
    return this.ws.subscribed(market, streams);
  }

  // ---- faults --------------------------------------------------------------------------------

  /** Cuts every connection without a close frame. */
  dropAll(): number {
    return this.ws.dropAll();
  }

  /** Current connections stop receiving anything (sockets stay open) for `ms`. */
  silence(ms: number): number {
    return this.ws.silence(ms);
  }

  /** Sends `serverShutdown` to every connection, closing them `closeAfterMs` later (-1 = never). */
  serverShutdown(closeAfterMs = 1000): number {
    return this.ws.serverShutdown(closeAfterMs);
  }

  /** Freezes virtual time and generation. */
  pause(): void {
    this.clock.pause();
  }

  resume(): void {
    this.clock.resume();
    // A replay started paused begins here.
    if (this.replay && !this.stopDriver) this.stopDriver = replayTimer(this.replay, this.clock);
  }

  /**
   * Paused: moves virtual time on by `ms` and sends what happened meanwhile: the closes, and a
   * forming update of every stream every `stepMs` (default: once, at the new time); a replay sends
   * the frames recorded up to each step. Tests drive the exchange with it instead of waiting on
   * the wall clock. Returns the new time.
   */
  advance(ms: number, stepMs = ms): number {
    const step = stepMs > 0 ? stepMs : ms;
    for (let left = ms; left > 0; left -= step) {
      this.clock.skip(Math.min(step, left));
      this.broadcastTick(this.now());
    }
    return this.now();
  }

  /**
   * Load mode: generate rounds (one update per stream, virtual time + stepMs each) as fast as the
   * clients read them (fake-drivers.ts floodLoop).
   */
  startFlood(stepMs = 250): void {
    if (this.ticker) clearInterval(this.ticker);
    this.ticker = undefined;
    let virtual = this.now();
    this.clock.steer(virtual);
    this.stopDriver = floodLoop(
      () => {
        if (!this.clock.steering || !this.server.listening) return false;
        this.clock.steer((virtual += stepMs));
        this.broadcastTick(virtual);
        return true;
      },
      () => [...this.connections].map((c) => c.peer.socket),
    );
  }

  /** Sends one frame now to every connection of `market` subscribed to `stream` (load tests). */
  inject(market: FakeMarket, stream: string, data: string): void {
    this.ws.deliver(market, stream, data);
  }

  /** Load tests: pre-encodes frames for every connection of `market` (fake-blast.ts). */
  prepareBlast(market: FakeMarket, frames: ReadonlyArray<{ stream: string; data: string }>): PreparedBlast {
    return prepareBlast(
      [...this.connections].filter((c) => c.market === market),
      frames,
    );
  }

  /** Writes a prepared blast as fast as each client reads. */
  sendBlast(blast: PreparedBlast): Promise<void> {
    return sendBlast(blast);
  }

  stopFlood(): void {
    if (!this.clock.steering) return;
    this.stopDriver?.();
    this.clock.steer(undefined);
    this.ticker = setInterval(() => this.tick(), this.opts.tickMs ?? DEFAULT_TICK_MS);
  }

  connectionStats(): FakeConnectionStats[] {
    return this.ws.stats();
  }

  async close(): Promise<void> {
    if (this.ticker) clearInterval(this.ticker);
    this.stopDriver?.();
    this.clock.steer(undefined);
    this.ws.close();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  // ---- plumbing ------------------------------------------------------------------------------

  private tick(): void {
    if (!this.clock.paused) this.broadcastTick(this.now());
  }

  private broadcastTick(now: number): void {
    this.replay?.advanceTo(now);
    for (const market of ['spot', 'futures'] as const) {
      const frames: GeneratedFrame[] = this.generators[market].tick(now);
      for (const f of frames) {
        if (this.opts.recordFrames) this.frameLog.push({ market, frame: f });
        this.ws.deliver(market, f.stream, f.data);
      }
    }
  }

  private ensureStreams(market: FakeMarket, streams: readonly string[]): void {
    if (this.opts.autoCreate === false || this.opts.replay) return;
    for (const s of streams) this.generators[market].addStream(s, this.now());
  }
}
