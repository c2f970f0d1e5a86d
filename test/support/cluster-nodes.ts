import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Config } from '../../src/main/config/settings.js';
import { startTestGateway, type TestGateway } from './gateway-harness.js';

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
