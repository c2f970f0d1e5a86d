import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { binanceSeriesOf } from '../../../src/domain/binance-symbols.js';
import { preferredNode } from '../../../src/main/cluster/rendezvous.js';
import { FakeBinance } from '../../../tools/fake-binance/fake-binance.js';
import { USDT_BASES } from '../../../tools/fake-binance/market-universe.js';
import { nodeEnv, startNode, type ClusterPlace } from '../../support/cluster-nodes.js';
import { checkedStream, coversProduced } from '../../support/cluster-streams.js';
import { http, WsClient, type TestGateway } from '../../support/gateway-harness.js';
import { GatewayProcess } from '../../support/gateway-process.js';
import { exchangeBars, fakeBinanceSettings } from '../../support/live-ingest.js';
import { freshBusPrefix, natsSkipReason, useNats } from '../../support/nats-server.js';
import { pgSkipReason, usePgCluster } from '../../support/pg-cluster.js';
import { newestStoredTimes, storedCandles } from '../../support/pg-query.js';
import { waitForAsync } from '../../support/wait.js';

/**
 * Failures of whole nodes (issue 14 tests): two ingest nodes share 50 whitelisted series streamed
 * by the fake exchange (its clock driven by the test); two read nodes serve subscribers.
 *
 * - kill -9 of an ingest node: its series move to the other within the lease bound; PostgreSQL
 *   ends up with every closed candle the fake produced, values included, and every subscriber's
 *   stream is strictly increasing with holes filled or announced.
 * - kill -9 of a read node: its clients reconnect to the other with `since` and miss nothing.
 *
 * Nodes that get killed run as their own processes (test/support/gateway-process.ts).
 */
/** Every base the fake lists against USDT on both markets: 22 × 2 markets + 6 five-minute series = 50. */
const BASES = USDT_BASES;
const SERIES = [
  ...BASES.map((b) => `binance:spot:${b}/USDT:1m`),
  ...BASES.map((b) => `binance:futures:${b}/USDT:1m`),
  ...BASES.slice(0, 3).map((b) => `binance:spot:${b}/USDT:5m`),
  ...BASES.slice(0, 3).map((b) => `binance:futures:${b}/USDT:5m`),
];
// The scenario is 50 series; the list follows the fake's universe, so say so if that changes.
if (SERIES.length !== 50) throw new Error(`cluster-failover expects 50 series from the fake's USDT bases, got ${SERIES.length}`);
const BAR_MS = 60_000;
const STEP_MS = 15_000;
/** Short leases keep the test quick; the bound below is what the setting promises, plus start-up of the new jobs. */
const LEASE_TTL_S = 2;
const MOVE_BOUND_MS = LEASE_TTL_S * 1000 * 1.2 + 2 * 400 + 5_000;
const skip = pgSkipReason() ?? natsSkipReason();

describe.skipIf(skip !== null)('nodes of a cluster killed with -9', () => {
  const pg = usePgCluster();
  const nats = useNats();
  const dir = mkdtempSync(join(tmpdir(), 'kline-failover-'));
  const whitelistPath = join(dir, 'whitelist.json');
  let fake: FakeBinance;
  let place: ClusterPlace;
  const ingest: GatewayProcess[] = [];
  let read1: GatewayProcess;
  let read2: TestGateway;
  const clients: WsClient[] = [];

  const streamsOf = (market: 'spot' | 'futures') =>
    SERIES.map(binanceSeriesOf)
      .filter((s) => s.market === market)
      .map((s) => s.stream);
  const owned = async (url: string): Promise<string[]> => {
    const res = await http(url, 'GET', '/api/market/debug/ingest_state');
    return res.status === 200 ? res.body.leases.owned.map((o: any) => o.series_id) : [];
  };
  const processEnv = (name: string, role: 'ingest' | 'read') => ({
    ...nodeEnv(place, role, name),
    TRADE_CANVAS_WHITELIST_PATH: whitelistPath,
    TRADE_CANVAS_ENABLE_WHITELIST_INGEST: '1',
    TRADE_CANVAS_ENABLE_DEBUG_API: '1',
    TRADE_CANVAS_ENABLE_MARKET_GAP_BACKFILL: '1',
    // Live bars only: the comparison with the fake is then exact from the first bar on.
    TRADE_CANVAS_ENABLE_MARKET_TAIL_COVERAGE: '0',
    TRADE_CANVAS_CLUSTER_LEASE_TTL_S: String(LEASE_TTL_S),
    TRADE_CANVAS_BINANCE_SPOT_WS_URL: fake.wsUrl('spot'),
    TRADE_CANVAS_BINANCE_FUTURES_WS_URL: fake.wsUrl('futures'),
    TRADE_CANVAS_BINANCE_SPOT_REST_URL: fake.restUrl(),
    TRADE_CANVAS_BINANCE_FUTURES_REST_URL: fake.restUrl(),
    TRADE_CANVAS_BINANCE_WS_RECONNECT_MIN_MS: '100',
    TRADE_CANVAS_BINANCE_WS_RECONNECT_MAX_MS: '400',
  });
  const bars = (n: number) => fake.advance(n * BAR_MS, STEP_MS);
  /** Until PostgreSQL and every client hold the fake's last bar of every series; names the laggards if not. */
  const caughtUp = async (watchers: WsClient[]) => {
    const last = (s: string) => exchangeBars(fake, s).at(-1)![0];
    let behind: string[] = [];
    try {
      await waitForAsync(
        async () => {
          const stored = await newestStoredTimes(place.pgUrl);
          behind = SERIES.filter((s) => stored.get(s) !== last(s)).map((s) => `PostgreSQL ${s} at ${stored.get(s)} not ${last(s)}`);
          watchers.forEach((c, i) =>
            SERIES.forEach((s) => {
              const got = checkedStream(c.messages, s).rows.at(-1)?.[0];
              if (got !== last(s)) behind.push(`client ${i} ${s} at ${got} not ${last(s)}`);
            }),
          );
          return behind.length === 0;
        },
        'PostgreSQL and the subscribers to reach the exchange',
        60_000,
      );
    } catch (err) {
      throw new Error(`${(err as Error).message}: ${behind.length} behind, e.g.\n${behind.slice(0, 12).join('\n')}`, { cause: err });
    }
  };

  beforeAll(async () => {
    place = { pgUrl: await pg().createDatabase(), natsUrl: nats().url, prefix: freshBusPrefix() };
    // 30 s before a 5-minute boundary: the first three bars close a 5m bar too.
    fake = await FakeBinance.start({ paused: true, startTimeMs: Math.floor(Date.now() / 300_000) * 300_000 - 30_000 });
    writeFileSync(whitelistPath, JSON.stringify({ series_ids: SERIES }));
    const [a, b, r] = await Promise.all([
      GatewayProcess.start(processEnv('ingest-1', 'ingest'), 90_000),
      GatewayProcess.start(processEnv('ingest-2', 'ingest'), 90_000),
      GatewayProcess.start(processEnv('read-1', 'read'), 90_000),
    ]);
    ingest.push(a!, b!);
    read1 = r!;
    read2 = await startNode(place, 'read', 'read-2', { enableDebugApi: true, enableGapBackfill: true, whitelistPath, ...fakeBinanceSettings(fake) });
    // Each series ends up with the node rendezvous hashing prefers (the first node to start takes
    // everything, then hands series over a few per tick): no bar is produced before that settles.
    const preferred = (node: string) => SERIES.filter((s) => preferredNode(s, ['ingest-1', 'ingest-2']) === node).sort();
    await waitForAsync(
      async () => {
        const [o1, o2] = await Promise.all(ingest.map((n) => owned(n.url)));
        return JSON.stringify([o1!.sort(), o2!.sort()]) === JSON.stringify([preferred('ingest-1'), preferred('ingest-2')]);
      },
      'the 50 series to spread over both ingest nodes as rendezvous hashing prefers',
      60_000,
    );
    // A stream the previous owner has not unsubscribed yet satisfies fake.subscribed() while the
    // new owner is not subscribed: forming updates (100 ms of exchange time every half second,
    // no bar closes: the next close is 30 s away) show each owner receiving its series.
    let nudgedAt = 0;
    let silent: string[] = [];
    await waitForAsync(
      async () => {
        if (Date.now() - nudgedAt >= 500) {
          fake.advance(100);
          nudgedAt = Date.now();
        }
        silent = [];
        for (const node of ingest) {
          const state = (await http(node.url, 'GET', '/api/market/debug/ingest_state')).body;
          const receiving = new Set(state.jobs.filter((j: any) => j.frames > 0).map((j: any) => j.series_id));
          for (const o of state.leases.owned) if (!receiving.has(o.series_id)) silent.push(`${node.url} ${o.series_id}`);
        }
        return silent.length === 0;
      },
      'every owner to receive its series’ frames',
      60_000,
    ).catch((err: Error) => {
      throw new Error(`${err.message}; no frames yet: ${silent.slice(0, 10).join(', ')}`, { cause: err });
    });
    for (const node of [read1, read2, read1, read2]) clients.push(await WsClient.connect(node));
    clients.forEach((c, i) => SERIES.forEach((s) => c.send({ type: 'subscribe', series_id: s, since: null, supports_batch: i % 2 === 0 })));
  }, 240_000);
  afterAll(async () => {
    clients.forEach((c) => c.close());
    await read2?.dispose();
    await Promise.all([...ingest, read1].map((p) => p?.kill('SIGKILL')));
    await fake?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('moves a killed ingest node’s series to the other within the bound, and loses no closed candle', async () => {
    bars(3);
    await caughtUp(clients);
    const victim = ingest[0]!;
    const survivor = ingest[1]!;
    const victimSeries = await owned(victim.url);
    expect(victimSeries.length).toBeGreaterThan(0);

    const killedAt = Date.now();
    await victim.kill('SIGKILL');
    bars(2); // closes while the victim's series have no owner: their frames go nowhere
    await waitForAsync(async () => (await owned(survivor.url)).length === SERIES.length, 'the survivor to own all 50 series', 60_000);
    const movedMs = Date.now() - killedAt;
    expect(movedMs).toBeLessThanOrEqual(MOVE_BOUND_MS);
    await fake.subscribed('spot', streamsOf('spot'));
    await fake.subscribed('futures', streamsOf('futures'));
    bars(3);
    await caughtUp(clients);

    for (const s of SERIES) {
      const produced = exchangeBars(fake, s);
      expect(produced.length, s).toBeGreaterThanOrEqual(s.endsWith(':5m') ? 1 : 8);
      expect(await storedCandles(place.pgUrl, s), s).toEqual(produced);
      for (const client of clients) {
        const { rows, announced } = checkedStream(client.messages, s);
        expect(coversProduced(rows, produced, announced), s).toBe(true);
      }
    }
    const metrics = (await http(survivor.url, 'GET', '/metrics')).text;
    expect(metrics).toMatch(new RegExp(`^kline_gateway_lease_owned_series ${SERIES.length}$`, 'm'));
    console.info(`[failover] ${victimSeries.length} series moved in ${movedMs} ms (bound ${MOVE_BOUND_MS} ms)`);
  }, 180_000);

  it('lets the clients of a killed read node resume on the other with since, missing nothing', async () => {
    const orphans = [clients[0]!, clients[2]!]; // connected to read-1
    await read1.kill('SIGKILL');
    for (const c of orphans) await c.closed(10_000);
    bars(2); // closes while the orphans are disconnected
    const resumed: WsClient[] = [];
    for (const [i, old] of orphans.entries()) {
      const client = await WsClient.connect(read2);
      resumed.push(client);
      for (const s of SERIES) {
        const since = checkedStream(old.messages, s).rows.at(-1)![0];
        client.send({ type: 'subscribe', series_id: s, since, supports_batch: i === 0 });
      }
    }
    bars(1);
    await caughtUp([...resumed, clients[1]!, clients[3]!]);
    for (const s of SERIES) {
      const produced = exchangeBars(fake, s);
      for (const [i, old] of orphans.entries()) {
        // Before the kill and after the reconnect, as one stream: every bar once, in order.
        const joined = [...old.messages, ...resumed[i]!.messages];
        const { rows, announced } = checkedStream(joined, s);
        expect(announced, s).toEqual([]);
        expect(rows, s).toEqual(produced.slice(produced.length - rows.length));
      }
    }
    resumed.forEach((c) => c.close());
  }, 120_000);
});

if (skip) it.skip(`nodes of a cluster killed with -9 — skipped, needs PostgreSQL and nats-server: ${skip}`);
