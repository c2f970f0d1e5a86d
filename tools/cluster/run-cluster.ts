import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { FakeBinance } from '../fake-binance/fake-binance.js';
import { startLocalNats, type LocalNats } from '../nats/local-nats.js';
import { startLocalCluster, type LocalCluster } from '../pg/local-cluster.js';
import { ClusterNode } from './cluster-node.js';

export interface ClusterOptions {
  readonly ingestNodes: number;
  readonly readNodes: number;
  /** Whitelisted series, spread over the ingest nodes. */
  readonly series: readonly string[];
  /** Real ms one 1m bar of the fake exchange lasts (60000 = real time). */
  readonly barMs: number;
  /** Extra settings of every node (TRADE_CANVAS_*). */
  readonly env?: Record<string, string>;
  /** Progress lines (start-up takes a few seconds per piece). */
  readonly say?: (line: string) => void;
}

export interface RunningCluster {
  readonly dir: string;
  readonly pgUrl: string;
  readonly natsUrl: string;
  readonly fake: FakeBinance;
  readonly ingest: readonly ClusterNode[];
  readonly read: readonly ClusterNode[];
  /** Stops the nodes (gracefully, in parallel), then NATS, PostgreSQL and the fake; deletes every file. */
  stop(): Promise<void>;
}

/**
 * Several gateway nodes as one (issue 14), everything on loopback in one temporary directory: a
 * throwaway PostgreSQL and nats-server, the fake Binance, `ingestNodes` nodes with ROLE=ingest
 * (whitelist ingest on, the series spread over them by their leases) and `readNodes` with
 * ROLE=read. Each node is a real process of the CLI; its log is `<dir>/<name>.log`.
 */
export async function startCluster(options: ClusterOptions): Promise<RunningCluster> {
  const say = options.say ?? (() => undefined);
  const dir = mkdtempSync(join(tmpdir(), 'kline-cluster-'));
  let pg: LocalCluster | null = null;
  let nats: LocalNats | null = null;
  let fake: FakeBinance | null = null;
  const nodes: ClusterNode[] = [];
  const stop = async () => {
    await Promise.all(nodes.map((n) => n.stop()));
    await nats?.destroy();
    await pg?.destroy();
    await fake?.close();
    rmSync(dir, { recursive: true, force: true });
  };
  try {
    say('starting PostgreSQL and nats-server…');
    [pg, nats, fake] = await Promise.all([startLocalCluster(), startLocalNats(), FakeBinance.start({ barMs: options.barMs })]);
    const pgUrl = await pg.createDatabase('kline');
    const whitelistPath = join(dir, 'whitelist.json');
    writeFileSync(whitelistPath, JSON.stringify({ series_ids: options.series }));
    const common = {
      TRADE_CANVAS_STORE: 'postgres',
      TRADE_CANVAS_PG_URL: pgUrl,
      TRADE_CANVAS_BUS: 'nats',
      TRADE_CANVAS_NATS_URL: nats.url,
      TRADE_CANVAS_WHITELIST_PATH: whitelistPath,
      TRADE_CANVAS_ENABLE_DEBUG_API: '1',
      TRADE_CANVAS_BINANCE_SPOT_WS_URL: fake.wsUrl('spot'),
      TRADE_CANVAS_BINANCE_FUTURES_WS_URL: fake.wsUrl('futures'),
      TRADE_CANVAS_BINANCE_SPOT_REST_URL: fake.restUrl(),
      TRADE_CANVAS_BINANCE_FUTURES_REST_URL: fake.restUrl(),
      ...options.env,
    };
    const node = (role: 'ingest' | 'read', i: number) => {
      const name = `${role}-${i + 1}`;
      const env = { ...common, TRADE_CANVAS_ROLE: role, TRADE_CANVAS_NODE_NAME: name, TRADE_CANVAS_ENABLE_WHITELIST_INGEST: role === 'ingest' ? '1' : '0' };
      const n = new ClusterNode(name, env, join(dir, `${name}.log`));
      nodes.push(n);
      return n;
    };
    const ingest = Array.from({ length: options.ingestNodes }, (_, i) => node('ingest', i));
    const read = Array.from({ length: options.readNodes }, (_, i) => node('read', i));
    say(`starting ${ingest.length} ingest and ${read.length} read nodes…`);
    await Promise.all(nodes.map((n) => n.started));
    return { dir, pgUrl, natsUrl: nats.url, fake, ingest, read, stop };
  } catch (err) {
    await stop().catch(() => undefined);
    throw err;
  }
}
