import type { FakeBinance } from '../../../tools/fake-binance/fake-binance.js';
import { parseSeriesId } from '../../../src/domain/series-id.js';
import { exchangeBars, ingestState, storedRows, untilCaughtUp, type Row } from '../../support/live-ingest.js';
import { sleep, waitForAsync } from '../../support/wait.js';
import type { WsClient } from '../../support/gateway-harness.js';

/**
 * Ingest accounting against the fake exchange: with the exchange paused, the store must hold
 * every bar the exchange closed from the first one the gateway stored, values included; and a
 * subscriber's closed candles must go up strictly, any jump being announced with `gap` first.
 */

export interface IngestLoss {
  /** The store reached the exchange's last closed bar of every series (within 20 s). */
  readonly caughtUp: boolean;
  /** Bars the exchange closed since the store's first one. */
  readonly expected: number;
  readonly missing: number;
  readonly wrong: number;
  readonly examples: string[];
}

/** Waits until `jobs` ingest jobs run and each has closed `bars` bars since its process started. */
export async function ingestRunning(gw: { url: string }, jobs: number, bars = 3): Promise<void> {
  await waitForAsync(
    async () => {
      const state = (await ingestState(gw)).jobs;
      return state.length === jobs && state.every((j) => j.running && j.closed >= bars);
    },
    `${jobs} ingest jobs to run and close ${bars} bars`,
    30_000,
  );
}

/**
 * Waits until the store holds the exchange's last closed bar of every series, then compares; a
 * hole still being filled (a fill waiting out a ban) is given `settleMs` to land.
 */
export async function ingestLoss(
  fake: FakeBinance,
  gw: { url: string },
  series: readonly string[],
  watchers: [WsClient, readonly string[]][] = [],
  settleMs = 30_000,
): Promise<IngestLoss> {
  // Counted either way: a store that never catches up shows as missing bars.
  const caughtUp = await untilCaughtUp(fake, gw, series, watchers).then(
    () => true,
    () => false,
  );
  const deadline = Date.now() + settleMs;
  for (;;) {
    const loss = await compare(fake, gw, series);
    if (loss.missing === 0 || Date.now() > deadline) return { caughtUp, ...loss };
    await sleep(250);
  }
}

async function compare(fake: FakeBinance, gw: { url: string }, series: readonly string[]): Promise<Omit<IngestLoss, 'caughtUp'>> {
  let expected = 0;
  let missing = 0;
  let wrong = 0;
  const examples: string[] = [];
  for (const s of series) {
    const stored = new Map((await storedRows(gw, s)).map((r) => [r[0], r] as const));
    const first = Math.min(...stored.keys());
    for (const bar of exchangeBars(fake, s).filter((b) => b[0] >= first)) {
      expected++;
      const have = stored.get(bar[0]);
      if (have === undefined) missing++;
      else if (have.join() !== bar.join()) wrong++;
      else continue;
      if (examples.length < 5) examples.push(`${s}@${bar[0]}: ${have ? `stored ${have.join()}, exchange ${bar.join()}` : 'missing'}`);
    }
  }
  return { expected, missing, wrong, examples };
}

/** Holes a subscriber saw without a `gap` first, and times that went backwards or repeated. */
export function unannouncedHoles(client: WsClient, seriesId: string): { closed: number; gaps: number; unannounced: number; disorder: number } {
  const tf = parseSeriesId(seriesId).tfSeconds;
  let last: number | undefined;
  let announced: number | undefined;
  let closed = 0;
  let gaps = 0;
  let unannounced = 0;
  let disorder = 0;
  const see = (row: Row | { candle_time: number }) => {
    const t = Array.isArray(row) ? row[0] : row.candle_time;
    closed++;
    if (last !== undefined && t <= last) disorder++;
    else if (last !== undefined && t > last + tf && announced !== t) unannounced++;
    last = Math.max(last ?? t, t);
    announced = undefined;
  };
  for (const m of client.messages) {
    if (m.series_id !== seriesId) continue;
    if (m.type === 'gap') {
      gaps++;
      announced = m.actual_time;
    } else if (m.type === 'candle_closed') see(m.candle);
    else if (m.type === 'candles_batch' || m.type === 'snapshot') for (const c of m.candles) see(c);
  }
  return { closed, gaps, unannounced, disorder };
}
