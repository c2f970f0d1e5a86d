import type { Candle } from '../../../src/domain/candle.js';
import { SqliteCandleStore } from '../../../src/writer/sqlite-candle-store.js';

/**
 * HTTP writers that keep books: every write answered 200 is recorded, and `verify` checks that the
 * database holds each of those candles with its values. Each writer owns one series and never
 * writes the same candle time twice (times only move forward, across gateway restarts too), so a
 * candle's expected values are a function of its series and time: a write killed in flight may or
 * may not be in the database, an acknowledged one must be, exactly.
 */

/** Writes alternate between these: the dev batch route and the single-candle route. */
const BATCH_ROUTE = '/api/dev/market/ingest/candles_closed_batch';
const SINGLE_ROUTE = '/api/market/ingest/candle_closed';
const TF_S = 60;

export function writerSeries(index: number): string {
  return `binance:spot:ACK${index}/USDT:1m`;
}

/** The values a writer stores at `time`: recognisable per series and time, never all equal. */
export function ackedCandle(writer: number, time: number): Candle {
  const base = 100 + writer + ((time / TF_S) % 997) / 10;
  return { candle_time: time, open: base, high: base + 2, low: base - 1, close: base + 0.5, volume: time / TF_S };
}

export interface WriteTally {
  attempted: number;
  acked: number;
  /** Answered, but not 200 (503 overloaded, 5xx while the store cannot commit). */
  refused: number;
  /** No answer: connection refused or reset (the gateway was killed or is restarting). */
  unanswered: number;
  statuses: Record<string, number>;
}

export class AckedWriters {
  /** Per writer: acknowledged [from, to] time ranges (inclusive), in order. */
  private readonly acked: [number, number][][];
  /** Per writer: the next time it writes. */
  private readonly next: number[];
  readonly tally: WriteTally = { attempted: 0, acked: 0, refused: 0, unanswered: 0, statuses: {} };
  private running: Promise<void>[] = [];
  private stopping = false;

  constructor(
    readonly writers: number,
    private readonly batchSize = 500,
    /** Pause after each write (ms): a steady rate instead of as fast as answered. */
    private readonly pauseMs = 0,
  ) {
    this.acked = Array.from({ length: writers }, () => []);
    this.next = Array.from({ length: writers }, () => TF_S);
  }

  /** Starts every writer against `url`; each writes as fast as it is answered until stop(). */
  start(url: string, onAnswer?: (status: number) => void): void {
    this.stopping = false;
    this.running = Array.from({ length: this.writers }, (_, w) => this.loop(w, url, onAnswer));
  }

  async stop(): Promise<void> {
    this.stopping = true;
    await Promise.all(this.running);
    this.running = [];
  }

  get ackedCandles(): number {
    return this.tally.acked;
  }

  /** Acknowledged candles missing from (or different in) the database file: every one is a loss. */
  verify(dbPath: string): { checked: number; lost: number; wrong: number; examples: string[] } {
    const store = new SqliteCandleStore(dbPath);
    let checked = 0;
    let lost = 0;
    let wrong = 0;
    const examples: string[] = [];
    try {
      for (let w = 0; w < this.writers; w++) {
        const series = writerSeries(w);
        for (const [from, to] of this.acked[w]!) {
          const rows = store.between(series, from, to, (to - from) / TF_S + 1);
          const have = new Map<number, number[]>();
          for (let i = 0; i < rows.length; i += 6) have.set(rows[i]!, Array.from(rows.subarray(i + 1, i + 6)));
          for (let t = from; t <= to; t += TF_S) {
            checked++;
            const c = ackedCandle(w, t);
            const row = have.get(t);
            if (row === undefined) {
              lost++;
              if (examples.length < 5) examples.push(`${series}@${t} missing`);
            } else if (row.join() !== [c.open, c.high, c.low, c.close, c.volume].join()) {
              wrong++;
              if (examples.length < 5) examples.push(`${series}@${t} is ${row.join()}`);
            }
          }
        }
      }
    } finally {
      store.close();
    }
    return { checked, lost, wrong, examples };
  }

  private async loop(w: number, url: string, onAnswer?: (status: number) => void): Promise<void> {
    const series = writerSeries(w);
    for (let n = 0; !this.stopping; n++) {
      // Every 8th write is a single candle_closed, the others a batch.
      const single = n % 8 === 7;
      const count = single ? 1 : this.batchSize;
      const from = this.next[w]!;
      const to = from + (count - 1) * TF_S;
      this.next[w] = to + TF_S;
      const candles = Array.from({ length: count }, (_, i) => ackedCandle(w, from + i * TF_S));
      const body = single ? { series_id: series, candle: candles[0] } : { series_id: series, candles, publish_ws: n % 2 === 0 };
      this.tally.attempted += count;
      let status: number;
      try {
        const res = await fetch(url + (single ? SINGLE_ROUTE : BATCH_ROUTE), {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify(body),
        });
        await res.arrayBuffer();
        status = res.status;
      } catch {
        this.tally.unanswered += count;
        // The gateway is gone: stop instead of spinning on refused connections.
        return;
      }
      this.tally.statuses[status] = (this.tally.statuses[status] ?? 0) + 1;
      onAnswer?.(status);
      if (status === 200) {
        this.tally.acked += count;
        const ranges = this.acked[w]!;
        const last = ranges.at(-1);
        if (last && last[1] + TF_S === from) last[1] = to;
        else ranges.push([from, to]);
        if (this.pauseMs > 0) await new Promise((r) => setTimeout(r, this.pauseMs));
      } else {
        this.tally.refused += count;
        // Refused (overloaded, store failing): back off a little, as a client should.
        await new Promise((r) => setTimeout(r, 50));
      }
    }
  }
}
