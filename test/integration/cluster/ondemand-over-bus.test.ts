import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FakeBinance } from '../../../tools/fake-binance/fake-binance.js';
import { startNode, type ClusterPlace } from '../../support/cluster-nodes.js';
import { checkedStream } from '../../support/cluster-streams.js';
import { http, WsClient, type TestGateway } from '../../support/gateway-harness.js';
import { exchangeBars, fakeBinanceSettings } from '../../support/live-ingest.js';
import { freshBusPrefix, natsSkipReason, useNats } from '../../support/nats-server.js';
import { pgSkipReason, usePgCluster } from '../../support/pg-cluster.js';
import { waitFor, waitForAsync } from '../../support/wait.js';

/**
 * On-demand ingest across nodes (issue 14 §4): a read node's subscribe asks the ingest side over
 * NATS request/reply; the ingest node takes the series' lease and runs its job while the read
 * node's demand lease lives, and gives it up one idle TTL after the last subscriber left.
 * unknown_symbol and capacity keep their contract codes.
 */
const A = 'binance:futures:BTC/USDT:1m';
const B = 'binance:futures:ETH/USDT:1m';
const IDLE_TTL_S = 2;
const skip = pgSkipReason() ?? natsSkipReason();

describe.skipIf(skip !== null)('on-demand subscribes of a read node, served by an ingest node', () => {
  const pg = usePgCluster();
  const nats = useNats();
  let fake: FakeBinance;
  let ingest: TestGateway;
  let read: TestGateway;
  const owned = async (): Promise<Array<{ series_id: string; source: string }>> =>
    (await http(ingest.url, 'GET', '/api/market/debug/ingest_state')).body.leases.owned;

  beforeAll(async () => {
    const place: ClusterPlace = { pgUrl: await pg().createDatabase(), natsUrl: nats().url, prefix: freshBusPrefix() };
    fake = await FakeBinance.start({ paused: true });
    const ondemand = { enableOndemandIngest: true, enableTailCoverage: false, ondemandIdleTtlS: IDLE_TTL_S, ondemandMaxJobs: 1 };
    ingest = await startNode(place, 'ingest', 'ingest-1', { ...ondemand, clusterLeaseTtlS: 2, ...fakeBinanceSettings(fake) });
    read = await startNode(place, 'read', 'read-1', { ...ondemand, ...fakeBinanceSettings(fake) });
  }, 120_000);
  afterAll(async () => {
    for (const node of [read, ingest]) await node?.dispose();
    await fake?.close();
  });

  it('starts the job on the ingest node, delivers its bars on the read node, refuses past capacity, and stops it after the idle TTL', async () => {
    const client = await WsClient.connect(read);
    client.send({ type: 'subscribe', series_id: 'binance:futures:MADEUPCOIN/USDT:1m', since: null, supports_batch: false });
    expect(await client.next(1, 15_000)).toEqual([
      expect.objectContaining({ type: 'error', code: 'unknown_symbol', series_id: 'binance:futures:MADEUPCOIN/USDT:1m' }),
    ]);

    client.send({ type: 'subscribe', series_id: A, since: null, supports_batch: false });
    await waitForAsync(async () => (await owned()).some((o) => o.series_id === A && o.source === 'ondemand'), 'the ingest node to take the series');
    await fake.subscribed('futures', ['btcusdt@kline_1m']);
    fake.advance(3 * 60_000, 15_000);
    const last = () => exchangeBars(fake, A).at(-1)?.[0];
    await waitFor(() => last() !== undefined && checkedStream(client.messages, A).rows.at(-1)?.[0] === last(), 'the read node to deliver the bars', 30_000);
    expect(checkedStream(client.messages, A).rows.slice(-exchangeBars(fake, A).length)).toEqual(exchangeBars(fake, A));

    // ONDEMAND_MAX_JOBS=1 on the ingest node: a second series is refused with the contract's code.
    client.send({ type: 'subscribe', series_id: B, since: null, supports_batch: false });
    await waitFor(() => client.messages.some((m) => m.series_id === B), 'the answer about a second series', 30_000);
    expect(client.messages.filter((m) => m.series_id === B)).toEqual([expect.objectContaining({ type: 'error', code: 'capacity', series_id: B })]);

    // The last subscriber leaves: the demand lease lapses one idle TTL later, then the lease goes.
    client.close();
    await waitForAsync(async () => (await owned()).length === 0, 'the ingest node to give the series up', 30_000);
    const metrics = (await http(ingest.url, 'GET', '/metrics')).text;
    expect(metrics).toMatch(/^kline_gateway_lease_demand_requests_total\{outcome="refused"\} 1$/m);
    expect(metrics).toMatch(/^kline_gateway_lease_events_total\{event="released"\} 1$/m);
  }, 120_000);
});

if (skip) it.skip(`on-demand over the bus — skipped, needs PostgreSQL and nats-server: ${skip}`);

describe.skipIf(skip !== null)('on-demand capacity across two ingest nodes', () => {
  const pg = usePgCluster();
  const nats = useNats();
  let fake: FakeBinance;
  const ingest: TestGateway[] = [];
  let read: TestGateway;
  const state = async (node: TestGateway) => (await http(node.url, 'GET', '/api/market/debug/ingest_state')).body.leases;

  beforeAll(async () => {
    const place: ClusterPlace = { pgUrl: await pg().createDatabase(), natsUrl: nats().url, prefix: freshBusPrefix() };
    fake = await FakeBinance.start({ paused: true });
    const ondemand = { enableOndemandIngest: true, enableTailCoverage: false, enableDebugApi: true, ondemandIdleTtlS: IDLE_TTL_S, ondemandMaxJobs: 1 };
    for (const name of ['ingest-1', 'ingest-2'])
      ingest.push(await startNode(place, 'ingest', name, { ...ondemand, clusterLeaseTtlS: 2, ...fakeBinanceSettings(fake) }));
    read = await startNode(place, 'read', 'read-1', { ...ondemand, ...fakeBinanceSettings(fake) });
    // Each ingest node has seen the other's room (its node lease) before the subscribes.
    for (const node of ingest) await waitForAsync(async () => (await state(node)).ingest_nodes.length === 2, 'both ingest nodes to see each other', 30_000);
  }, 120_000);
  afterAll(async () => {
    for (const node of [read, ...ingest]) await node?.dispose();
    await fake?.close();
  });

  it('ONDEMAND_MAX_JOBS=1 on each of two nodes: two series run, one per node, whichever node a request reaches; the third is refused', async () => {
    const client = await WsClient.connect(read);
    const C = 'binance:futures:SOL/USDT:1m';
    for (const s of [A, B]) {
      client.send({ type: 'subscribe', series_id: s, since: null, supports_batch: false });
      await waitForAsync(
        async () => (await Promise.all(ingest.map(state))).some((l) => l.owned.some((o: { series_id: string }) => o.series_id === s)),
        `a node to take ${s}`,
      );
    }
    const owners = await Promise.all(ingest.map(async (n) => (await state(n)).owned.map((o: { series_id: string }) => o.series_id)));
    expect(owners.map((o) => o.length)).toEqual([1, 1]);
    expect(owners.flat().sort()).toEqual([A, B].sort());
    expect(client.messages.filter((m) => m.type === 'error')).toEqual([]);

    client.send({ type: 'subscribe', series_id: C, since: null, supports_batch: false });
    await waitFor(() => client.messages.some((m) => m.series_id === C), 'the answer about a third series', 30_000);
    expect(client.messages.filter((m) => m.series_id === C)).toEqual([expect.objectContaining({ type: 'error', code: 'capacity', series_id: C })]);
    client.close();
  }, 120_000);
});
