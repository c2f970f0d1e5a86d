import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SqliteCandleStore } from '../../src/writer/sqlite-candle-store.js';
import { FakeBinance } from '../../tools/fake-binance/fake-binance.js';
import { GatewayProcess } from '../support/gateway-process.js';
import { pauseMidBar } from '../support/live-ingest.js';
import { seededRandom } from '../support/seeded-random.js';
import { sleep } from '../support/wait.js';
import { AckedWriters } from './support/acked-writes.js';
import { gatewayEnv, ingestEnv, probeDir } from './support/chaos-gateway.js';
import { report, sized } from './support/chaos-run.js';
import { ingestLoss, ingestRunning } from './support/ingest-accounting.js';

/**
 * Probe 1: kill -9 at full rate. The gateway process ingests 24 series from the fake exchange
 * (a 1m bar every 100 ms, forming updates every 50 ms) while HTTP writers post batches and single
 * candles as fast as they are answered. At a seeded random moment the process is killed with
 * SIGKILL; a new one recovers the file (write-ahead log, stale owner), stops gracefully, and the file
 * is checked offline: `PRAGMA integrity_check` = ok, and every write answered 200 is there with
 * its values. After the last round the exchange pauses and the store must hold every bar the
 * exchange closed since the first one stored: restarts fill what was missed from REST.
 */
const ROUNDS = sized(6, 2);
const WRITERS = 4;
const SERIES = ['BTC', 'ETH', 'SOL', 'BNB', 'XRP', 'ADA', 'DOGE', 'DOT', 'LTC', 'TRX', 'AVAX', 'LINK'].flatMap((b) => [
  `binance:futures:${b}/USDT:1m`,
  `binance:spot:${b}/USDT:1m`,
]);
/** Load before the kill, ms: seeded, so a failing round can be run again. */
const LOAD_MS = sized([1500, 5000], [1000, 2500]);

describe('probe: kill -9 during full-rate ingest and writes', () => {
  const dir = probeDir('kill9');
  const dbPath = join(dir, 'market.db');
  let fake: FakeBinance;
  let env: Record<string, string>;
  const procs: GatewayProcess[] = [];
  const start = async () => {
    const gw = await GatewayProcess.start(env, 60_000);
    procs.push(gw);
    return gw;
  };

  beforeAll(async () => {
    fake = await FakeBinance.start({ barMs: 100, tickMs: 50 });
    env = { ...gatewayEnv(dbPath), ...ingestEnv(fake, dbPath, SERIES) };
  });
  afterAll(async () => {
    for (const p of procs) await p.kill('SIGKILL');
    await fake?.close();
  });

  it(`${ROUNDS} rounds: 0 acknowledged candles lost, integrity ok, 0 exchange bars missing`, async () => {
    const rand = seededRandom(20261215);
    const writers = new AckedWriters(WRITERS);
    let gw = await start();
    let totalAcked = 0;
    let totalLost = 0;
    for (let round = 1; round <= ROUNDS; round++) {
      await ingestRunning(gw, SERIES.length);
      const ackedBefore = writers.tally.acked;
      writers.start(gw.url);
      const loadMs = Math.round(LOAD_MS[0] + rand() * (LOAD_MS[1] - LOAD_MS[0]));
      await sleep(loadMs);
      expect((await gw.kill('SIGKILL')).signal).toBe('SIGKILL');
      await writers.stop();
      const acked = writers.tally.acked - ackedBefore;

      // Recovery happens in the next start; a graceful stop then leaves the file to check offline.
      const t0 = performance.now();
      const recovered = await start();
      const restartMs = performance.now() - t0;
      const recoveredLog = recovered.logs.some((l) => l.includes('write-ahead log left by the previous owner'));
      expect(await recovered.kill('SIGTERM')).toEqual({ code: 0, signal: null });
      const store = new SqliteCandleStore(dbPath);
      const integrity = store.integrityCheck();
      store.close();
      const check = writers.verify(dbPath);
      totalAcked = check.checked;
      totalLost = check.lost + check.wrong;
      report('kill-9', `round ${round}/${ROUNDS}`, {
        load_ms: loadMs,
        acked_this_round: acked,
        acked_rate_per_s: Math.round(acked / (loadMs / 1000)),
        acked_total_checked: check.checked,
        lost: check.lost,
        wrong_values: check.wrong,
        integrity,
        restart_ms: Math.round(restartMs),
        wal_recovered: recoveredLog,
      });
      expect(check.examples, 'acknowledged writes lost').toEqual([]);
      expect(integrity).toBe('ok');
      expect(acked).toBeGreaterThan(0);
      gw = await start();
    }

    // The exchange kept going through every kill: restarts filled what the gateway missed. (A
    // paused exchange sends nothing, so every job must have heard from it before the pause.)
    await ingestRunning(gw, SERIES.length);
    await pauseMidBar(fake);
    try {
      const loss = await ingestLoss(fake, gw, SERIES);
      report('kill-9', 'ingest after all rounds', {
        series: SERIES.length,
        caught_up: loss.caughtUp,
        exchange_bars: loss.expected,
        missing: loss.missing,
        wrong_values: loss.wrong,
        acked_candles_checked: totalAcked,
        acked_lost: totalLost,
      });
      expect(loss.examples).toEqual([]);
      expect(loss.expected).toBeGreaterThan(SERIES.length * 10);
    } finally {
      fake.resume();
    }
    expect(await gw.kill('SIGTERM')).toEqual({ code: 0, signal: null });
  });
});
