import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FakeBinance } from '../../../tools/fake-binance/fake-binance.js';
import { startNode, type ClusterPlace } from '../../support/cluster-nodes.js';
import { candle, http, postClosed, postForming, WsClient, type TestGateway } from '../../support/gateway-harness.js';
import { closedReceived, exchangeBars, fakeBinanceSettings, storedRows } from '../../support/live-ingest.js';
import { freshBusPrefix, natsSkipReason, useNats } from '../../support/nats-server.js';
import { pgSkipReason, usePgCluster } from '../../support/pg-cluster.js';
import { storedCandles } from '../../support/pg-query.js';
import { waitFor } from '../../support/wait.js';

/**
 * The read path of a cluster (issue 14 §3): one ingest node streams from the fake exchange and
 * commits to PostgreSQL; two read nodes feed their hubs from the stream. A client of read node 2
 * sees what ingest node 1 ingested — closed candles only after their commit, in order, and the
 * forming candles in between — and a write on either read node reaches the other's clients.
 */
const SERIES = ['binance:futures:BTC/USDT:1m', 'binance:spot:ETH/USDT:1m'];
const BAR_MS = 60_000;
const STEP_MS = 10_000;
const skip = pgSkipReason() ?? natsSkipReason();

describe.skipIf(skip !== null)('a read node fed by the bus', () => {
  const pg = usePgCluster();
  const nats = useNats();
  let fake: FakeBinance;
  let place: ClusterPlace;
  let ingest: TestGateway;
  let read1: TestGateway;
  let read2: TestGateway;
  let client: WsClient;

  beforeAll(async () => {
    place = { pgUrl: await pg().createDatabase(), natsUrl: nats().url, prefix: freshBusPrefix() };
    fake = await FakeBinance.start({ paused: true });
    ingest = await startNode(place, 'ingest', 'ingest-1', { enableWhitelistIngest: true, ...fakeBinanceSettings(fake) }, SERIES);
    read1 = await startNode(place, 'read', 'read-1');
    read2 = await startNode(place, 'read', 'read-2');
    await fake.subscribed('futures', ['btcusdt@kline_1m']);
    await fake.subscribed('spot', ['ethusdt@kline_1m']);
    client = await WsClient.connect(read2);
    for (const s of SERIES) client.send({ type: 'subscribe', series_id: s, since: null, supports_batch: false });
  }, 120_000);
  afterAll(async () => {
    client?.close();
    for (const node of [read2, read1, ingest]) await node?.dispose();
    await fake?.close();
  });

  it('delivers closed candles ingested on the ingest node to a client of read node 2, in order, with forming candles between', async () => {
    fake.advance(4 * BAR_MS, STEP_MS);
    const lastBar = (s: string) => exchangeBars(fake, s).at(-1)![0];
    await waitFor(() => SERIES.every((s) => closedReceived(client, s).at(-1)?.[0] === lastBar(s)), 'read node 2 to deliver the last closed bar', 30_000);
    // Into the next bar: its forming updates travel on core NATS to read node 2.
    fake.advance(2 * STEP_MS, STEP_MS);
    const formingAfterLast = (s: string) => client.messages.some((m) => m.type === 'candle_forming' && m.series_id === s && m.candle.candle_time > lastBar(s));
    await waitFor(() => SERIES.every(formingAfterLast), 'forming candles of the next bar on read node 2');
    for (const s of SERIES) {
      const produced = exchangeBars(fake, s);
      expect(produced.length, s).toBeGreaterThanOrEqual(4);
      const received = closedReceived(client, s);
      // Catch-up (the tail the ingest node fetched from REST before its job started) plus live:
      // strictly increasing, and the live bars exactly as produced, values included.
      expect(
        received.every((r, i) => i === 0 || r[0] > received[i - 1]![0]),
        s,
      ).toBe(true);
      expect(received.slice(-produced.length), s).toEqual(produced);
      // What the client saw is what PostgreSQL holds.
      const stored = await storedCandles(place.pgUrl, s);
      expect(stored.slice(-produced.length), s).toEqual(produced);
      expect(received, s).toEqual(stored.slice(stored.length - received.length));
      // A forming candle is never older than a closed candle already sent (contract §3 live rules).
      let lastClosed = -1;
      let forming = 0;
      for (const m of client.messages.filter((x) => x.series_id === s)) {
        if (m.type === 'candle_closed') lastClosed = m.candle.candle_time;
        if (m.type === 'candle_forming') {
          forming++;
          expect(m.candle.candle_time, s).toBeGreaterThan(lastClosed);
        }
      }
      expect(forming, s).toBeGreaterThan(0);
    }
    expect(client.messages.filter((m) => m.type === 'gap' || m.type === 'error')).toEqual([]);
    // The ingest node's forming candles ride core NATS; none of them is stored.
    const metrics = (await http(read2.url, 'GET', '/metrics')).text;
    expect(metrics).toMatch(/^kline_gateway_bus_forming_total\{direction="received"\} [1-9]/m);
    expect(metrics).toMatch(/^kline_gateway_bus_connected\{node="read-2"\} 1$/m);
  }, 60_000);

  it('serves a write made on read node 1 to a client of read node 2, and reads it back on node 1 at once', async () => {
    const series = 'binance:spot:DEV/USDT:1m';
    const other = await WsClient.connect(read2);
    try {
      // A snapshot subscription answers at once (empty), so the test knows it is registered.
      other.send({ type: 'subscribe', series_id: series, tail_limit: 10, supports_batch: false });
      expect((await other.next())[0]).toMatchObject({ type: 'snapshot', candles: [] });
      const t0 = 1_700_000_000 - (1_700_000_000 % 60);
      expect((await postClosed(read1.url, series, candle(t0, 10))).status).toBe(200);
      // Read-your-writes on the node that took the write: its cache applied it before the 200.
      expect((await storedRows(read1, series)).map((r) => r[0])).toEqual([t0]);
      expect((await postClosed(read1.url, series, candle(t0 + 60, 11))).status).toBe(200);
      expect((await postForming(read1.url, series, candle(t0 + 120, 12))).status).toBe(200);
      await waitFor(() => other.messages.some((m) => m.type === 'candle_forming' && m.candle.candle_time === t0 + 120), 'the forming candle on read node 2');
      expect(closedReceived(other, series).map((r) => r[0])).toEqual([t0, t0 + 60]);
      expect((await storedRows(read2, series)).map((r) => r[0])).toEqual([t0, t0 + 60]);
    } finally {
      other.close();
    }
  }, 60_000);
});

if (skip) it.skip(`a read node fed by the bus — skipped, needs PostgreSQL and nats-server: ${skip}`);
