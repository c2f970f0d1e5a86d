import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FakeBinance } from '../../../tools/fake-binance/fake-binance.js';
import { ingestAndReadNodes, streamsSubscribed, type ClusterPlace } from '../../support/cluster-nodes.js';
import { checkedStream, coversProduced, deliveredUpToExchange } from '../../support/cluster-streams.js';
import { http, WsClient, type TestGateway } from '../../support/gateway-harness.js';
import { exchangeBars } from '../../support/live-ingest.js';
import { freshBusPrefix, natsSkipReason, useNats } from '../../support/nats-server.js';
import { pgSkipReason, usePgCluster } from '../../support/pg-cluster.js';
import { storedCandles } from '../../support/pg-query.js';
import { waitFor, waitForAsync } from '../../support/wait.js';

/**
 * nats-server away for longer than the lease TTL (issue 14, a failure mode operations.md names):
 * the ingest node cannot renew, so once its leases have surely lapsed it stops its jobs (another
 * node could have taken them; two owners must overlap at most one tick). Bars the exchange closes
 * meanwhile are heard by nobody. When the server is back the node takes its series again, each job
 * starts from the store's head and the REST gap fill covers the outage: PostgreSQL holds every
 * bar the exchange produced, and every client's stream is strictly increasing with every bar,
 * holes filled or announced.
 */
const SERIES = ['binance:futures:BTC/USDT:1m', 'binance:spot:ETH/USDT:1m'];
const BAR_MS = 60_000;
const STEP_MS = 15_000;
/** The shortest TTL the setting allows beyond 1 s, so the outage below outlasts it quickly. */
const LEASE_TTL_S = 2;
const skip = pgSkipReason() ?? natsSkipReason();

const metric = (text: string, line: RegExp): number => Number(line.exec(text)?.[1] ?? NaN);

describe.skipIf(skip !== null)('nats-server away for longer than the lease TTL', () => {
  const pg = usePgCluster();
  const nats = useNats();
  let fake: FakeBinance;
  let place: ClusterPlace;
  let ingest: TestGateway;
  let read: TestGateway;
  const clients: WsClient[] = [];

  const delivered = (c: WsClient) => deliveredUpToExchange(c, fake, SERIES);
  const jobs = async () => ((await http(ingest.url, 'GET', '/api/market/debug/ingest_state')).body as { jobs: unknown[] }).jobs.length;

  beforeAll(async () => {
    place = { pgUrl: await pg().createDatabase(), natsUrl: nats().url, prefix: freshBusPrefix() };
    fake = await FakeBinance.start({ paused: true });
    const lease = { clusterLeaseTtlS: LEASE_TTL_S };
    let started: WsClient[];
    ({ ingest, read, clients: started } = await ingestAndReadNodes(place, fake, SERIES, { ingest: lease, read: lease }));
    clients.push(...started);
  }, 120_000);
  afterAll(async () => {
    clients.forEach((c) => c.close());
    for (const node of [read, ingest]) await node?.dispose();
    await fake?.close();
  });

  it('stops its jobs once the leases lapse, takes them back when NATS returns, and the gap fill covers the outage', async () => {
    fake.advance(2 * BAR_MS, STEP_MS);
    await waitFor(() => clients.every(delivered), 'both nodes to deliver the first bars', 30_000);
    expect(await jobs()).toBe(SERIES.length);

    await nats().stop('SIGKILL');
    // Not renewed for a whole TTL: the jobs stop (the exchange's streams are closed).
    await waitForAsync(async () => (await jobs()) === 0, 'the ingest node to stop its jobs after its leases lapsed', 30_000);
    const during = (await http(ingest.url, 'GET', '/metrics')).text;
    expect(metric(during, /^kline_gateway_lease_events_total\{event="lost"\} (\d+)/m)).toBe(SERIES.length);
    expect(metric(during, /^kline_gateway_lease_owned_series (\d+)/m)).toBe(0);
    expect((await http(ingest.url, 'GET', '/readyz')).status).toBe(503);
    // Bars closed while nobody ingests: only REST can bring them back.
    fake.advance(3 * BAR_MS, STEP_MS);

    await nats().start();
    await waitForAsync(async () => (await jobs()) === SERIES.length, 'the ingest node to take its series again', 30_000);
    await streamsSubscribed(fake, SERIES);
    fake.advance(2 * BAR_MS, STEP_MS);
    await waitFor(() => clients.every(delivered), 'both nodes to deliver through the outage and after it', 30_000);

    for (const s of SERIES) {
      const produced = exchangeBars(fake, s);
      expect(produced.length, s).toBeGreaterThanOrEqual(7);
      await waitForAsync(async () => (await storedCandles(place.pgUrl, s)).length === produced.length, `PostgreSQL to hold every bar of ${s}`);
      expect(await storedCandles(place.pgUrl, s), s).toEqual(produced);
      for (const client of clients) {
        const { rows, announced } = checkedStream(client.messages, s);
        expect(coversProduced(rows, produced, announced), s).toBe(true);
        expect(rows.at(-1), s).toEqual(produced.at(-1));
      }
    }
    const after = (await http(ingest.url, 'GET', '/metrics')).text;
    expect(metric(after, /^kline_gateway_lease_events_total\{event="taken"\} (\d+)/m)).toBe(2 * SERIES.length);
    for (const node of [ingest, read]) expect((await http(node.url, 'GET', '/readyz')).status).toBe(200);
  }, 150_000);
});

if (skip) it.skip(`nats-server away for longer than the lease TTL — skipped, needs PostgreSQL and nats-server: ${skip}`);
