import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FakeBinance } from '../../../tools/fake-binance/fake-binance.js';
import { startNode, streamsSubscribed, subscribedClient, whitelistIngestSettings, type ClusterPlace } from '../../support/cluster-nodes.js';
import { checkedStream, coversProduced, deliveredUpToExchange } from '../../support/cluster-streams.js';
import { http, WsClient, type TestGateway } from '../../support/gateway-harness.js';
import { exchangeBars } from '../../support/live-ingest.js';
import { freshBusPrefix, natsSkipReason, useNats } from '../../support/nats-server.js';
import { pgSkipReason, usePgCluster } from '../../support/pg-cluster.js';
import { storedCandles } from '../../support/pg-query.js';
import { waitFor, waitForAsync } from '../../support/wait.js';

/**
 * A cluster of `all` nodes (ROLE=all with the bus): every node ingests and serves. The whitelisted
 * series spread over both by their leases (each series on exactly one node), and a client of
 * either node receives every series, whichever node ingests it, in order. When one node stops,
 * the other takes its series and its clients miss nothing.
 */
const SERIES = [
  'binance:futures:BTC/USDT:1m',
  'binance:spot:ETH/USDT:1m',
  'binance:spot:SOL/USDT:1m',
  'binance:futures:XRP/USDT:1m',
  'binance:spot:BNB/USDT:1m',
  'binance:futures:ADA/USDT:1m',
];
const BAR_MS = 60_000;
const STEP_MS = 15_000;
const LEASE_TTL_S = 2;
const skip = pgSkipReason() ?? natsSkipReason();

/** The fake's stream name of a 1m series: `binance:spot:BTC/USDT:1m` → `btcusdt@kline_1m`. */
const streamOf = (seriesId: string) => `${seriesId.split(':')[2]!.replace('/', '').toLowerCase()}@kline_1m`;

type Leases = { leases: { owned: Array<{ series_id: string }> } };

describe.skipIf(skip !== null)('a cluster of `all` nodes', () => {
  const pg = usePgCluster();
  const nats = useNats();
  let fake: FakeBinance;
  let place: ClusterPlace;
  const nodes: TestGateway[] = [];
  const clients: WsClient[] = [];

  const owned = async (node: TestGateway) =>
    ((await http(node.url, 'GET', '/api/market/debug/ingest_state')).body as Leases).leases.owned.map((o) => o.series_id);
  const delivered = (c: WsClient) => deliveredUpToExchange(c, fake, SERIES);

  beforeAll(async () => {
    place = { pgUrl: await pg().createDatabase(), natsUrl: nats().url, prefix: freshBusPrefix() };
    fake = await FakeBinance.start({ paused: true });
    const settings = whitelistIngestSettings(fake, { clusterLeaseTtlS: LEASE_TTL_S });
    for (const name of ['all-1', 'all-2']) nodes.push(await startNode(place, 'all', name, settings, SERIES));
    for (const node of nodes) clients.push(await subscribedClient(node, SERIES));
  }, 120_000);
  afterAll(async () => {
    clients.forEach((c) => c.close());
    for (const node of nodes) await node.dispose();
    await fake?.close();
  });

  it('spreads the series over both nodes, one owner each, and every client sees every series in order', async () => {
    let split: string[][] = [];
    await waitForAsync(
      async () => {
        split = await Promise.all(nodes.map(owned));
        return split.every((o) => o.length > 0) && split.flat().length === SERIES.length;
      },
      'the series to spread over both nodes',
      30_000,
    );
    expect(new Set(split.flat())).toEqual(new Set(SERIES)); // each series on exactly one node
    // Each node runs jobs for its own series only.
    for (const [i, node] of nodes.entries()) {
      const jobs = ((await http(node.url, 'GET', '/api/market/debug/ingest_state')).body as { jobs: Array<{ series_id: string }> }).jobs;
      expect(new Set(jobs.map((j) => j.series_id)), node.url).toEqual(new Set(split[i]));
    }
    // The moved series' new jobs listen, and their old ones no longer, before the exchange moves
    // on (a bar closed before a job's stream is open would only be fetched once a later bar
    // shows the hole): each stream on exactly one open connection.
    const listeners = (stream: string) => fake.connectionStats().filter((c) => c.open && c.streams.includes(stream)).length;
    await waitFor(() => SERIES.every((s) => listeners(streamOf(s)) === 1), 'every series to be streamed by exactly one node', 30_000);
    fake.advance(3 * BAR_MS, STEP_MS);
    await waitFor(() => clients.every(delivered), 'both nodes to deliver every series', 30_000);
  }, 90_000);

  it('moves a stopped node’s series to the other; the remaining client misses nothing', async () => {
    const [survivor, leaving] = [nodes[0]!, nodes[1]!];
    await leaving.dispose(); // graceful: flushes its jobs, releases its leases
    nodes.pop();
    clients.pop()!.close();
    await waitForAsync(async () => (await owned(survivor)).length === SERIES.length, 'the survivor to own every series', 30_000);
    await streamsSubscribed(fake, SERIES);
    fake.advance(3 * BAR_MS, STEP_MS);
    await waitFor(() => delivered(clients[0]!), 'the survivor to deliver every series after the move', 30_000);
    for (const s of SERIES) {
      const produced = exchangeBars(fake, s);
      expect(produced.length, s).toBeGreaterThanOrEqual(6);
      await waitForAsync(async () => (await storedCandles(place.pgUrl, s)).length === produced.length, `PostgreSQL to hold every bar of ${s}`);
      expect(await storedCandles(place.pgUrl, s), s).toEqual(produced);
      const { rows, announced } = checkedStream(clients[0]!.messages, s);
      expect(coversProduced(rows, produced, announced), s).toBe(true);
    }
  }, 90_000);
});

if (skip) it.skip(`a cluster of all nodes — skipped, needs PostgreSQL and nats-server: ${skip}`);
