import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { SqliteCandleStore } from '../../src/writer/sqlite-candle-store.js';
import { candle, http, postClosed } from '../support/gateway-harness.js';
import { GatewayProcess, GatewayStartError } from '../support/gateway-process.js';
import { gatewayEnv, probeDir } from './support/chaos-gateway.js';
import { report, sized } from './support/chaos-run.js';

/**
 * Probe 2: concurrent starts on one database. Each round starts N real gateway processes at once
 * on the same file: exactly one may own it; the others exit non-zero saying the database is in
 * use, and leave the owner alone. While the owner runs, more processes try again (a live owner is
 * never taken over) and the owner keeps writing. Rounds end alternately with kill -9 (the next
 * round takes over from a dead owner) and SIGTERM. At the end every round's write is in the file.
 */
const ROUNDS = sized(8, 3);
const RACERS = sized(6, 4);
const LATE_STARTERS = 2;
const S = 'binance:futures:OWN/USDT:1m';

describe('probe: concurrent starts on one database', () => {
  const dir = probeDir('owners');
  const dbPath = join(dir, 'market.db');
  const env = gatewayEnv(dbPath);
  const live: GatewayProcess[] = [];
  afterAll(async () => {
    for (const p of live) await p.kill('SIGKILL');
  });

  /** Starts `n` processes at once; each becomes the owner or exits. */
  async function race(n: number): Promise<{ owners: GatewayProcess[]; refused: GatewayStartError[] }> {
    const outcomes = await Promise.allSettled(Array.from({ length: n }, () => GatewayProcess.start(env, 90_000)));
    const owners: GatewayProcess[] = [];
    const refused: GatewayStartError[] = [];
    for (const o of outcomes) {
      if (o.status === 'fulfilled') live.push((owners[owners.length] = o.value));
      else if (o.reason instanceof GatewayStartError && o.reason.exit !== null) refused.push(o.reason);
      else throw o.reason;
    }
    return { owners, refused };
  }

  const inUse = (e: GatewayStartError) =>
    e.exit!.code !== 0 && e.exit!.signal === null && e.logs.some((l) => l.includes('is in use by another kline-gateway process'));

  it(`${ROUNDS} rounds of ${RACERS} processes at once: exactly one owner each round, a live owner is never taken over`, async () => {
    let roundsWithOneOwner = 0;
    let refusedCleanly = 0;
    let lateRefused = 0;
    for (let round = 1; round <= ROUNDS; round++) {
      const { owners, refused } = await race(RACERS);
      report('concurrent-starts', `round ${round}/${ROUNDS}`, {
        started: RACERS,
        owners: owners.length,
        refused: refused.length,
        refused_with_reason: refused.filter(inUse).length,
      });
      expect(owners, `round ${round}: owners`).toHaveLength(1);
      expect(refused.filter((e) => !inUse(e)).map((e) => e.message)).toEqual([]);
      roundsWithOneOwner++;
      refusedCleanly += refused.length;
      const owner = owners[0]!;

      // Processes started while the owner runs are refused; the owner keeps its file and writes.
      const late = await race(LATE_STARTERS);
      expect(late.owners).toHaveLength(0);
      expect(late.refused.every(inUse)).toBe(true);
      lateRefused += late.refused.length;
      expect((await postClosed(owner.url, S, candle(round * 60, round))).status).toBe(200);
      expect((await http(owner.url, 'GET', '/readyz')).status).toBe(200);

      live.splice(live.indexOf(owner), 1);
      if (round % 2 === 1) expect((await owner.kill('SIGKILL')).signal).toBe('SIGKILL');
      else expect(await owner.kill('SIGTERM')).toEqual({ code: 0, signal: null });
    }

    // A last start takes over whatever the last round left (a dead owner after kill -9) and stops cleanly.
    const last = await GatewayProcess.start(env, 60_000);
    expect(await last.kill('SIGTERM')).toEqual({ code: 0, signal: null });
    const store = new SqliteCandleStore(dbPath);
    const rows = store.between(S, 60, ROUNDS * 60, ROUNDS);
    const integrity = store.integrityCheck();
    store.close();
    const closes = Array.from({ length: rows.length / 6 }, (_, i) => rows[i * 6 + 4]);
    report('concurrent-starts', 'all rounds', {
      rounds: ROUNDS,
      processes_started: ROUNDS * (RACERS + LATE_STARTERS),
      rounds_with_exactly_one_owner: roundsWithOneOwner,
      refused_in_race: refusedCleanly,
      refused_while_owner_lived: lateRefused,
      owner_writes_kept: closes.length,
      integrity,
    });
    expect(closes).toEqual(Array.from({ length: ROUNDS }, (_, i) => candle(60, i + 1).close));
    expect(integrity).toBe('ok');
  });
});
