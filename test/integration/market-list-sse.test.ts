import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { ManualClock } from '../../src/shared/clock.js';
import { FakeBinance } from '../../tools/fake-binance/fake-binance.js';
import { http, startTestGateway, type TestGateway } from '../support/gateway-harness.js';
import { fakeBinanceSettings } from '../support/live-ingest.js';
import { SseClient } from '../support/sse-client.js';
import { waitFor } from '../support/wait.js';

/**
 * `GET /api/market/top_markets/stream` (contract §5): real gateway, fake exchange over real
 * sockets, raw SSE clients. Both clocks are the test's: the gateway's market clock is a
 * ManualClock ("an interval" is a step the test takes: polls, pings, the once-per-interval rule)
 * and the fake starts paused (its tickers move only when the test advances it).
 */
const INTERVAL_MS = 1000;
const STREAM = `/api/market/top_markets/stream?exchange=binance&market=futures&quote_asset=USDT&limit=5&interval_s=1`;

describe('market list stream', () => {
  let fake: FakeBinance;
  let gw: TestGateway | undefined;
  let clock: ManualClock;
  const clients: SseClient[] = [];

  beforeAll(async () => {
    fake = await FakeBinance.start({ paused: true });
  });
  afterEach(async () => {
    clients.splice(0).forEach((c) => c.destroy());
    await gw?.dispose();
    gw = undefined;
    fake.marketData.failNext(0);
  });
  afterAll(async () => {
    await fake?.close();
  });

  async function start(overrides = {}): Promise<TestGateway> {
    clock = new ManualClock(Date.now());
    gw = await startTestGateway({ ...fakeBinanceSettings(fake), binanceTickerTtlS: INTERVAL_MS / 1000, ...overrides }, { clock });
    return gw;
  }

  async function open(path = STREAM): Promise<SseClient> {
    const client = await SseClient.open(gw!.port, path);
    clients.push(client);
    return client;
  }

  const tickerCalls = () => fake.marketData.calls('ticker24h', 'futures');
  /** Polls done by the gateway's market-list pollers since this call (each answered and handed to its subscribers). */
  const polled = (gw: TestGateway) => {
    const base = gw.markets.streams.stats().polls;
    return () => gw.markets.streams.stats().polls - base;
  };
  /** A minute of trading on the exchange: every symbol's 24h ticker moves. */
  const trade = () => fake.advance(60_000);

  it('1,000 clients get every update while the exchange is called once per interval', async () => {
    await start();
    const before = tickerCalls();
    const fleet = await Promise.all(Array.from({ length: 1000 }, () => open()));
    await waitFor(() => fleet.every((c) => c.events('top_markets').length >= 1), 'the first event on every client', 30_000);
    expect(tickerCalls()).toBe(before + 1);
    for (let round = 1; round <= 3; round++) {
      trade();
      clock.advance(INTERVAL_MS);
      await waitFor(() => fleet.every((c) => c.events('top_markets').length >= round + 1), `update ${round} on every client`, 30_000);
      expect(tickerCalls()).toBe(before + 1 + round);
    }
    const first = fleet[0]!;
    expect(first.status).toBe(200);
    expect(first.headers.get('content-type')).toBe('text/event-stream');
    expect(first.headers.get('cache-control')).toBe('no-cache');
    // Every client saw the same four pages; each event is the GET's JSON, its id its generated_at_ms.
    const pages = first.events('top_markets').map((e) => JSON.parse(e.data));
    for (const c of fleet) expect(c.events('top_markets').map((e) => JSON.parse(e.data))).toEqual(pages);
    expect(pages[0]).toMatchObject({ exchange: 'binance', market: 'futures', quote_asset: 'USDT', limit: 5 });
    expect(pages.map((p) => p.items.length)).toEqual([5, 5, 5, 5]);
    expect(first.events('top_markets').map((e) => Number(e.id))).toEqual(pages.map((p) => p.generated_at_ms));
    // A ping per interval (unix seconds of the market clock).
    expect(first.comments().filter((c) => c.startsWith('ping'))).toEqual(
      [1, 2, 3].map((i) => `ping ${Math.floor((pages[0].generated_at_ms + i * INTERVAL_MS) / 1000)}`),
    );
  }, 120_000);

  it('an event only when the items changed: an exchange that does not trade yields pings, no events', async () => {
    const gw = await start();
    const client = await open();
    const pings = () => client.comments().filter((c) => c.startsWith('ping')).length;
    await client.waitForEvents(1);
    const polls = polled(gw);
    for (let i = 1; i <= 4; i++) {
      clock.advance(INTERVAL_MS);
      // The ping goes out at the step; the poll's page (if it had changed) after the poll is done,
      // so once ping i+1 arrived, anything poll i sent has arrived before it.
      await waitFor(() => polls() === i && pings() === i, `poll and ping ${i}`);
    }
    expect(client.events('top_markets')).toHaveLength(1);
    trade();
    clock.advance(INTERVAL_MS);
    await client.waitForEvents(2);
  });

  it('at most one event per interval_s per client, however often the list changes', async () => {
    const gw = await start();
    const slow = await open(STREAM.replace('interval_s=1', 'interval_s=3'));
    await slow.waitForEvents(1);
    const polls = polled(gw);
    for (let i = 1; i <= 2; i++) {
      trade();
      clock.advance(INTERVAL_MS);
      await waitFor(() => polls() === i, `poll ${i}`); // the poll is done: the change is pending
    }
    expect(slow.events('top_markets')).toHaveLength(1);
    trade();
    clock.advance(INTERVAL_MS); // 3 s after the first event: the newest page goes out
    await slow.waitForEvents(2);
  });

  it('no list at all (exchange failing): an error event per failed poll, then pages once it answers', async () => {
    await start();
    fake.marketData.failNext(2, 500, 0, 'ticker24h');
    const client = await open(`${STREAM}&max_events=3`);
    const [error] = await client.waitForEvents(1, 'error');
    expect(JSON.parse(error!.data)).toEqual({ type: 'error', message: expect.stringMatching(/^upstream_error:HTTP 500/), at_ms: clock.now() });
    clock.advance(INTERVAL_MS);
    await client.waitForEvents(1, 'top_markets');
    expect(client.events().map((e) => e.event)).toEqual(['error', 'top_markets']);
    // max_events=3: the third event ends the stream.
    trade();
    clock.advance(INTERVAL_MS);
    await waitFor(() => client.ended, 'the end of the stream');
    expect(client.events()).toHaveLength(3);
  });

  it('a client that disconnects is cleaned up: its subscription, and the poller with the last one', async () => {
    const gw = await start();
    const streams = () => gw.markets.streams.stats();
    const [a, b] = [await open(), await open(STREAM.replace('market=futures', 'market=spot'))];
    await a.waitForEvents(1);
    await b.waitForEvents(1);
    expect(streams()).toMatchObject({ streams: 2, feeds: 2 });
    a.destroy();
    await waitFor(() => streams().streams === 1, 'the gone client to be dropped');
    expect(streams().feeds).toBe(1);
    const calls = tickerCalls();
    const polls = polled(gw);
    clock.advance(INTERVAL_MS);
    await waitFor(() => polls() === 1, 'the spot poller to poll'); // the one poller left
    expect(tickerCalls()).toBe(calls); // nobody listens to futures: nobody polls it
    b.destroy();
    await waitFor(() => streams().streams === 0 && streams().feeds === 0, 'no stream, no poller');
    const metrics = (await http(gw.url, 'GET', '/metrics')).text;
    expect(metrics).toContain('kline_gateway_market_list_streams 0');
  });

  it('streams are bounded: past TRADE_CANVAS_MARKET_LIST_MAX_STREAMS a new one gets 503 overloaded', async () => {
    const gw = await start({ marketListMaxStreams: 2 });
    await open();
    await open();
    const third = await http(gw.url, 'GET', STREAM);
    expect(third.status).toBe(503);
    expect(third.body).toEqual({ code: 'overloaded', message: 'too many market-list streams (2); retry later' });
    expect((await http(gw.url, 'GET', '/metrics')).text).toContain('kline_gateway_market_list_streams_refused_total 1');
  });

  it('the stream ends cleanly when the gateway stops', async () => {
    const gw = await start();
    const client = await open();
    await client.waitForEvents(1);
    await gw.stop();
    await waitFor(() => client.ended, 'the end of the stream');
  });
});
