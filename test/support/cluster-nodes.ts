import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll } from 'vitest';
import type { Config } from '../../src/main/config/settings.js';
import type { LocalNats } from '../../tools/nats/local-nats.js';
import type { LocalCluster } from '../../tools/pg/local-cluster.js';
import { parseSeriesId } from '../../src/domain/series-id.js';
import type { FakeBinance } from '../../tools/fake-binance/fake-binance.js';
import type { FakeMarket } from '../../tools/fake-binance/fake-rest.js';
import { startTestGateway, storeTestGatewaysWith, WsClient, type TestGateway } from './gateway-harness.js';
import { fakeBinanceSettings } from './live-ingest.js';
import { freshBusPrefix } from './nats-server.js';

/** Where every node of one test cluster meets: one PostgreSQL database, one NATS, one prefix. */
export interface ClusterPlace {
  readonly pgUrl: string;
  readonly natsUrl: string;
  readonly prefix: string;
}

/** Settings of a node of `place` with `role` (in-process nodes and node processes alike). */
export function nodeSettings(place: ClusterPlace, role: Config['role'], nodeName: string): Partial<Config> {
  return { store: 'postgres', pgUrl: place.pgUrl, bus: 'nats', natsUrl: place.natsUrl, busSubjectPrefix: place.prefix, role, nodeName };
}

/** The same as environment variables, for a node run as its own process (test/support/gateway-process.ts). */
export function nodeEnv(place: ClusterPlace, role: Config['role'], nodeName: string): Record<string, string> {
  return {
    TRADE_CANVAS_STORE: 'postgres',
    TRADE_CANVAS_PG_URL: place.pgUrl,
    TRADE_CANVAS_BUS: 'nats',
    TRADE_CANVAS_NATS_URL: place.natsUrl,
    TRADE_CANVAS_BUS_PREFIX: place.prefix,
    TRADE_CANVAS_ROLE: role,
    TRADE_CANVAS_NODE_NAME: nodeName,
  };
}

/** An in-process node of `place` (real uWS, writer worker, NATS connection), its whitelist written if given. */
export async function startNode(
  place: ClusterPlace,
  role: Config['role'],
  nodeName: string,
  overrides: Partial<Config> = {},
  whitelist?: readonly string[],
): Promise<TestGateway> {
  const dir = mkdtempSync(join(tmpdir(), `kline-node-${nodeName}-`));
  if (whitelist) writeFileSync(join(dir, 'whitelist.json'), JSON.stringify({ series_ids: whitelist }));
  return startTestGateway({ ...nodeSettings(place, role, nodeName), ...overrides }, {}, dir);
}

/**
 * Makes every test gateway of this file read node 2 of a 1 ingest + 2 read cluster of its own
 * (fresh database and bus prefix; ingest-1 and read-1 started beside it, in-process), so the
 * store-agnostic contract tests run unchanged against a read node. The previous gateway's
 * companions stop when the next one starts, the last ones after the file.
 */
export function readNodeOfClusterPerGateway(pg: () => LocalCluster, nats: () => LocalNats): void {
  let companions: TestGateway[] = [];
  let startingCompanions = false;
  const stopCompanions = async () => {
    const old = companions;
    companions = [];
    for (const node of old) await node.dispose();
  };
  storeTestGatewaysWith(async () => {
    // The companions start through the same harness: their own settings come from startNode.
    if (startingCompanions) return {};
    await stopCompanions();
    const place: ClusterPlace = { pgUrl: await pg().createDatabase(), natsUrl: nats().url, prefix: freshBusPrefix() };
    startingCompanions = true;
    try {
      companions = [await startNode(place, 'ingest', 'ingest-1'), await startNode(place, 'read', 'read-1')];
    } finally {
      startingCompanions = false;
    }
    return nodeSettings(place, 'read', 'read-2');
  });
  afterAll(stopCompanions, 60_000);
}

/**
 * Settings of a node that ingests whitelisted series from the fake exchange: debug API on (tests
 * read ingest_state), no tail coverage (the tests count the bars the fake produced from its
 * start), gap fill on (it covers what a moved or stopped job missed).
 */
export function whitelistIngestSettings(fake: FakeBinance, overrides: Partial<Config> = {}): Partial<Config> {
  return { enableWhitelistIngest: true, enableDebugApi: true, enableTailCoverage: false, enableGapBackfill: true, ...fakeBinanceSettings(fake), ...overrides };
}

/** Resolves once the fake exchange has subscriptions to every series' 1m stream (some node ingests each). */
export async function streamsSubscribed(fake: FakeBinance, series: readonly string[]): Promise<void> {
  for (const s of series) {
    const { market, symbol } = parseSeriesId(s);
    await fake.subscribed(market as FakeMarket, [`${symbol.replace('/', '').toLowerCase()}@kline_1m`]);
  }
}

/** A WebSocket client of `node` subscribed to every series from now on (`since: null`, one frame per candle). */
export async function subscribedClient(node: TestGateway, series: readonly string[]): Promise<WsClient> {
  const client = await WsClient.connect(node);
  for (const s of series) client.send({ type: 'subscribe', series_id: s, since: null, supports_batch: false });
  return client;
}

/** One ingest node (whitelist `series` from the fake) and one read node, each with a client subscribed to every series. */
export async function ingestAndReadNodes(
  place: ClusterPlace,
  fake: FakeBinance,
  series: readonly string[],
  overrides: { ingest?: Partial<Config>; read?: Partial<Config> } = {},
): Promise<{ ingest: TestGateway; read: TestGateway; clients: WsClient[] }> {
  const ingest = await startNode(place, 'ingest', 'ingest-1', whitelistIngestSettings(fake, overrides.ingest), series);
  const read = await startNode(place, 'read', 'read-1', overrides.read);
  await streamsSubscribed(fake, series);
  return { ingest, read, clients: [await subscribedClient(read, series), await subscribedClient(ingest, series)] };
}
