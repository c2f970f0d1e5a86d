import { afterEach, describe, expect, it } from 'vitest';
import { binanceSeriesOf } from '../../../src/domain/binance-symbols.js';
import { CANDLE_STRIDE, type Candle } from '../../../src/domain/candle.js';
import { KlineFrame } from '../../../src/domain/kline-frame.js';
import { ManualClock } from '../../../src/shared/clock.js';
import { GapHold } from '../../../src/ingest/jobs/gap-hold.js';
import { CLOSE_GRACE_MS, SeriesJob } from '../../../src/ingest/jobs/series-job.js';
import { createLogger, setLogSink } from '../../../src/shared/log.js';

const TF = 60;
/** A candle whose values say where it came from: close 1 = live stream, close 2 = REST. */
const live = (t: number): Candle => ({ candle_time: t, open: 1, high: 1, low: 1, close: 1, volume: t });
const rest = (...times: number[]) => new Float64Array(times.flatMap((t) => [t, 2, 2, 2, 2, t]));
const rows = (packed: Float64Array) =>
  Array.from({ length: packed.length / CANDLE_STRIDE }, (_, i) => [packed[i * CANDLE_STRIDE]!, packed[i * CANDLE_STRIDE + 4]!]);

let logs: { msg: string; [k: string]: unknown }[] = [];
setLogSink((line) => logs.push(JSON.parse(line)));
afterEach(() => {
  logs = [];
});

function setup(head: number | null, bounds: { maxHeld?: number; maxHoldMs?: number } = {}) {
  const clock = new ManualClock();
  const out: number[][][] = [];
  const fills: [number, number][] = [];
  const hold = new GapHold(
    {
      seriesId: 'binance:futures:BTC/USDT:1m',
      tfSeconds: TF,
      release: (p) => out.push(rows(p)),
      requestFill: (a, b) => fills.push([a, b]),
      clock,
      logger: createLogger('test'),
      ...bounds,
    },
    head,
  );
  /** Every candle released so far as [time, source], in release order. */
  const released = () => out.flat();
  return { clock, hold, out, fills, released };
}

describe('GapHold', () => {
  it('holds live candles behind a hole, then sends filled and held candles together, ascending', () => {
    const { hold, fills, out, released } = setup(600);
    hold.closed(live(660));
    hold.missing(720, 840);
    hold.closed(live(900));
    hold.closed(live(960));
    expect(fills).toEqual([[720, 840]]);
    expect(released()).toEqual([[660, 1]]);
    hold.filled(rest(720, 780, 840));
    hold.fillDone(undefined, true);
    expect(out.at(-1)).toEqual([
      [720, 2],
      [780, 2],
      [840, 2],
      [900, 1],
      [960, 1],
    ]);
    // Back in order: the next close goes straight through.
    hold.closed(live(1020));
    expect(out.at(-1)).toEqual([[1020, 1]]);
    expect(hold.stats()).toMatchObject({ holds: 1, held: 0, boundHits: 0, unfilledHoles: 0 });
    expect(logs.map((l) => l.msg)).toEqual(['hole filled from REST']);
  });

  it('prefers a live close that arrives inside the hole over the REST row, and waits until the filler is settled', () => {
    const { hold, out } = setup(600);
    hold.missing(660, 780);
    hold.closed(live(720));
    hold.closed(live(840));
    hold.filled(rest(660, 720));
    hold.fillDone('rate_limited: 429', false);
    expect(out).toEqual([]);
    hold.filled(rest(780));
    hold.fillDone(undefined, true);
    expect(out).toEqual([
      [
        [660, 2],
        [720, 1],
        [780, 2],
        [840, 1],
      ],
    ]);
  });

  it('releases what it has when REST cannot fill the hole, and says so: subscribers then get a gap', () => {
    const { hold, out } = setup(600);
    hold.missing(660, 720);
    hold.closed(live(780));
    hold.filled(rest(660));
    hold.fillDone('http: HTTP 500', true);
    expect(out).toEqual([
      [
        [660, 2],
        [780, 1],
      ],
    ]);
    const line = logs.find((l) => l.msg === 'hole not filled from REST; subscribers get a gap');
    expect(line).toMatchObject({ seriesId: 'binance:futures:BTC/USDT:1m', missing: [[720, 720]], bars: 1, reason: 'http: HTTP 500' });
    expect(hold.stats()).toMatchObject({ unfilledHoles: 1, unfilledBars: 1 });
  });

  it('reports a hole found before any later close (start-up) that REST returned nothing for', () => {
    const { hold, out } = setup(600);
    hold.missing(660, 900);
    hold.fillDone(undefined, true);
    expect(out).toEqual([]);
    expect(logs.find((l) => l.msg.startsWith('hole not filled'))).toMatchObject({
      missing: [[660, 900]],
      bars: 5,
      reason: 'the exchange returned no data for it',
    });
    // The next close goes out as is; the hub announces the jump.
    hold.closed(live(960));
    expect(out).toEqual([[[960, 1]]]);
  });

  it('a lost bar revealed after an unfilled hole was settled is asked for alone and counted as the same hole', () => {
    const { hold, out, fills } = setup(600);
    hold.missing(660, 780);
    hold.fillDone(undefined, true);
    // The close grace ran out: bar 840 is lost too. Only it is asked for, not 660..780 again.
    hold.missing(840, 840);
    expect(fills).toEqual([
      [660, 780],
      [840, 840],
    ]);
    hold.fillDone(undefined, true);
    hold.closed(live(900));
    expect(out).toEqual([[[900, 1]]]);
    expect(hold.stats()).toMatchObject({ holds: 2, unfilledHoles: 1, unfilledBars: 4 });
    // A later, separate hole counts again.
    hold.missing(960, 960);
    hold.fillDone(undefined, true);
    expect(hold.stats()).toMatchObject({ unfilledHoles: 2, unfilledBars: 5 });
  });

  it('is bounded by count: past maxHeld live candles it releases them, and a late fill goes straight to the store', () => {
    const { hold, out } = setup(600, { maxHeld: 3 });
    hold.missing(660, 660);
    for (const t of [720, 780, 840]) hold.closed(live(t));
    expect(out).toEqual([]);
    hold.closed(live(900));
    expect(out).toEqual([
      [
        [720, 1],
        [780, 1],
        [840, 1],
        [900, 1],
      ],
    ]);
    expect(logs.at(-1)).toMatchObject({ msg: expect.stringContaining('reached their bound'), bound: '3 candles' });
    hold.filled(rest(660));
    hold.fillDone(undefined, true);
    expect(out.at(-1)).toEqual([[660, 2]]);
    expect(hold.stats()).toMatchObject({ boundHits: 1, held: 0 });
  });

  it('is bounded in time: after maxHoldMs the held candles go out', () => {
    const { hold, out, clock } = setup(600, { maxHoldMs: 10_000 });
    hold.missing(660, 660);
    hold.closed(live(720));
    clock.advance(9_999);
    expect(out).toEqual([]);
    clock.advance(1);
    expect(out).toEqual([[[720, 1]]]);
    expect(logs.at(-1)).toMatchObject({ bound: '10000 ms' });
  });

  it('stop() drops held candles and counts them (the next start refills from the store head)', () => {
    const { hold, out, clock } = setup(600);
    hold.missing(660, 660);
    hold.closed(live(720));
    expect(hold.stop()).toBe(1);
    clock.advance(60_000);
    expect(out).toEqual([]);
    expect(clock.pending()).toBe(0);
  });
});

describe('SeriesJob hole detection', () => {
  const series = binanceSeriesOf('binance:futures:BTC/USDT:1m');
  // One frame object for all, as ingest reuses one per connection.
  const reused = new KlineFrame();
  const frame = (t: number, closed: boolean, eventTimeMs: number): KlineFrame =>
    reused.fromEvent({ ok: true, stream: series.stream, symbol: 'BTCUSDT', interval: '1m', closed, eventTimeMs, candle: live(t) });

  function job(head: number | null) {
    const clock = new ManualClock();
    const closed: number[] = [];
    const gaps: [number, number][] = [];
    const j = new SeriesJob(
      series,
      { closed: (_, p) => closed.push(...rows(p).map((r) => r[0]!)), forming: () => undefined, gap: (_, a, b) => gaps.push([a, b]) },
      { formingMinIntervalMs: 0, clock, logger: createLogger('test'), head },
    );
    return { j, closed, gaps };
  }

  it('after a start-up, the first forming frame reveals the bars missing since the store head; closes wait for the fill', () => {
    const { j, closed, gaps } = job(600);
    // Bar 1200 forming, 1 s after its start: 1140 may still close live, so only up to 1080 is asked for.
    j.onKline(frame(1200, false, 1_200_000 + 1000));
    expect(gaps).toEqual([[660, 1080]]);
    j.onKline(frame(1140, true, 1_200_000 + 1500));
    expect(closed).toEqual([]);
    j.onGapFillCandles(rest(660, 720, 780, 840, 900, 960, 1020, 1080));
    j.onGapFill({ ok: true, candles: new Float64Array(0), requests: 1, weight: 2 * 1 }, 8, true);
    expect(closed).toEqual([660, 720, 780, 840, 900, 960, 1020, 1080, 1140]);
  });

  it('a forming frame later than the close grace proves the previous close was lost', () => {
    const { j, gaps, closed } = job(null);
    j.onKline(frame(600, true, 660_500));
    j.onKline(frame(660, false, 661_000));
    j.onKline(frame(720, false, 720_000 + CLOSE_GRACE_MS - 1));
    expect(gaps).toEqual([]);
    j.onKline(frame(720, false, 720_000 + CLOSE_GRACE_MS));
    expect(gaps).toEqual([[660, 660]]);
    expect(closed).toEqual([600]);
    expect(j.stats()).toMatchObject({ gaps: 1, missingBars: 1, holds: 1, lastClosedTime: 660 });
  });

  it('without a store head, history before the job is left alone; from its first frame on, every bar is its to deliver', () => {
    const { j, gaps, closed } = job(null);
    // Its first frame comes early in bar 6000; bar 5940 may never be seen closed: not ours.
    j.onKline(frame(6000, false, 6_000_000 + 100));
    j.onKline(frame(6000, false, 6_000_000 + CLOSE_GRACE_MS + 100));
    expect(gaps).toEqual([]);
    // Bar 6000's close is lost (an early reconnect): the next bar's frames reveal it.
    j.onKline(frame(6060, false, 6_060_000 + CLOSE_GRACE_MS));
    expect(gaps).toEqual([[6000, 6000]]);
    j.onKline(frame(6060, true, 6_120_500));
    expect(closed).toEqual([]);
    j.onGapFillCandles(rest(6000));
    j.onGapFill({ ok: true, candles: new Float64Array(0), requests: 1, weight: 2 * 1 }, 1, true);
    expect(closed).toEqual([6000, 6060]);
  });
});

describe('GapHold progress (series health backfill fields)', () => {
  it('a hold runs from its first hole, counts bars asked and fetched, and ends filled', () => {
    const { hold, clock } = setup(600);
    const t0 = clock.now();
    expect(hold.progress.snapshot()).toEqual({ running: null, last: null });
    hold.missing(660, 1200); // 10 bars
    clock.advance(1000);
    hold.filled(rest(660, 720, 780, 840));
    expect(hold.progress.snapshot().running).toEqual({ startedAt: t0, updatedAt: t0 + 1000, missingBars: 10, fetchedBars: 4 });
    hold.missing(1260, 1260); // revealed while holding: same hold, one more bar
    clock.advance(1000);
    hold.filled(rest(900, 960, 1020, 1080, 1140, 1200, 1260));
    hold.fillDone(undefined, true);
    expect(hold.progress.snapshot()).toEqual({
      running: null,
      last: { startedAt: t0, endedAt: t0 + 2000, missingBars: 11, unfilledBars: 0, outcome: 'filled', error: null },
    });
  });

  it('ends unfilled with the fill error, or bound when held too long', () => {
    const { hold, clock } = setup(600, { maxHoldMs: 5_000 });
    hold.missing(660, 840);
    hold.filled(rest(660));
    hold.fillDone('http: HTTP 500', true);
    expect(hold.progress.snapshot().last).toMatchObject({ missingBars: 4, unfilledBars: 3, outcome: 'unfilled', error: 'http: HTTP 500' });
    hold.missing(900, 960);
    hold.closed(live(1020));
    clock.advance(5_000);
    expect(hold.progress.snapshot().last).toMatchObject({ missingBars: 2, outcome: 'bound', error: 'held candles reached their bound (time)' });
  });

  it('a job stopped mid-hold reports nothing running', () => {
    const { hold } = setup(600);
    hold.missing(660, 720);
    hold.stop();
    expect(hold.progress.snapshot()).toEqual({ running: null, last: null });
  });
});
