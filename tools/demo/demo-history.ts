import { join } from 'node:path';
import { CANDLE_STRIDE } from '../../src/domain/candle.js';
import { parseSeriesId } from '../../src/domain/series-id.js';
import type { FakeBinance } from '../fake-binance/fake-binance.js';
import { intervalOf } from '../fake-binance/intervals.js';
import type { Bar } from '../fake-binance/kline-generator.js';
import { writeCandleFile } from '../fixtures/fixture-writer.js';
import { candidateStems } from '../../src/domain/freqtrade-names.js';
import { exchangeNamesOf, type DemoSeries } from './demo-series.js';

export interface DemoHistoryFile {
  readonly seriesId: string;
  readonly path: string;
  readonly rows: number;
  /** Open time (Unix seconds) of the first and last candle in the file. */
  readonly firstTime: number;
  readonly lastTime: number;
}

/**
 * Writes the last `bars` closed bars of each demo series, cut from the fake's price path of its
 * symbol, into a freqtrade datadir (feather, freqtrade's default format and our fastest reader).
 * The file ends at the bar before the one the fake is forming now: the gateway's bootstrap imports
 * it, and live ingest carries on from there. Bars the fake closes while the gateway starts are the
 * ordinary hole between a store head and the first live frame, which ingest fills from the fake's
 * REST: the same path, so the values agree.
 */
export async function writeDemoHistory(fake: FakeBinance, series: readonly DemoSeries[], datadir: string, bars: number): Promise<DemoHistoryFile[]> {
  const files: DemoHistoryFile[] = [];
  for (const s of series) {
    const { market, symbol, interval } = exchangeNamesOf(s);
    const calendar = intervalOf(interval)!;
    // Cut now, synchronously: the fake's clock moves on while the file is written.
    const now = fake.now();
    const closed = fake.generators[market].klines(symbol, calendar, { endTime: calendar.openOf(now) - 1, limit: bars, now });
    const candles = barsToCandles(closed);
    const rows = candles.length / CANDLE_STRIDE;
    if (rows === 0) throw new Error(`the fake exchange has no bars for ${s.seriesId}`);
    const path = join(datadir, `${candidateStems(parseSeriesId(s.seriesId))[0]!}.feather`);
    await writeCandleFile(path, 'feather', candles);
    files.push({ seriesId: s.seriesId, path, rows, firstTime: candles[0]!, lastTime: candles[(rows - 1) * CANDLE_STRIDE]! });
  }
  return files;
}

/** The fake's bars (ms open times, decimal strings) as packed candles (seconds, numbers). */
export function barsToCandles(bars: readonly Bar[]): Float64Array {
  const out = new Float64Array(bars.length * CANDLE_STRIDE);
  bars.forEach((b, i) => out.set([b.t / 1000, +b.o, +b.h, +b.l, +b.c, +b.v], i * CANDLE_STRIDE));
  return out;
}
