import { afterEach, describe, expect, it } from 'vitest';
import { CANDLE_STRIDE } from '../../../src/domain/candle.js';
import { BAR_VOLATILITY, demoClock } from '../../../tools/demo/demo-clock.js';
import { DEMO_HISTORY_DAYS, startDemoExchange } from '../../../tools/demo/demo-exchange.js';
import { intervalOf } from '../../../tools/fake-binance/intervals.js';
import { barsToCandles, writeDemoHistory } from '../../../tools/demo/demo-history.js';
import { DEMO_SERIES, exchangeNamesOf } from '../../../tools/demo/demo-series.js';
import type { FakeBinance } from '../../../tools/fake-binance/fake-binance.js';
import { readCandleFile } from '../../../src/decode/read-candle-file.js';
import { useTempDir } from '../../support/temp-dir.js';

describe('demo clock', () => {
  it('real-time bars by default; shorter bars speed the exchange clock up and keep 250 ms updates', () => {
    expect(demoClock(60)).toMatchObject({ barMs: 60_000, speed: 1, tickMs: 250, tradesPerBar: 240 });
    expect(demoClock(5)).toMatchObject({ barMs: 5_000, speed: 12, tradesPerBar: 20 });
    expect(demoClock(2)).toMatchObject({ speed: 30, tradesPerBar: 8 });
  });

  it('fewer trades per bar take bigger steps, so every bar length gives bars of the same spread', () => {
    for (const seconds of [60, 5, 2]) {
      const { tradeStep, tradesPerBar } = demoClock(seconds);
      expect(tradeStep * Math.sqrt(tradesPerBar / 3)).toBeCloseTo(BAR_VOLATILITY, 12);
    }
  });
});

describe('demo exchange and its history files', () => {
  const tmp = useTempDir('kline-demo-');
  let fake: FakeBinance | undefined;
  afterEach(async () => {
    await fake?.close();
    fake = undefined;
  });

  it("each history file holds the last N closed 1m bars of its symbol's path, ending right before the forming bar", async () => {
    fake = await startDemoExchange({ clock: demoClock(60), series: DEMO_SERIES, seed: 1 });
    fake.pause();
    const files = await writeDemoHistory(fake, DEMO_SERIES, tmp(), 300);
    expect(files.map((f) => f.seriesId)).toEqual(DEMO_SERIES.map((s) => s.seriesId));
    const now = fake.now();
    const forming = Math.floor(now / 60_000) * 60;
    for (const file of files) {
      const series = DEMO_SERIES.find((s) => s.seriesId === file.seriesId)!;
      const { market, symbol } = exchangeNamesOf(series);
      const read = await readCandleFile(file.path, { tfSeconds: 60 });
      expect(read.reason).toBeUndefined();
      expect(read.gaps).toBe(0);
      expect(file.rows).toBe(300);
      expect(file.lastTime).toBe(forming - 60);
      expect(file.lastTime).toBe(read.candles[read.candles.length - CANDLE_STRIDE]);
      const path = fake.generators[market];
      const bars = path.klines(symbol, intervalOf('1m')!, { startTime: file.firstTime * 1000, endTime: file.lastTime * 1000, limit: 1000, now });
      expect(Array.from(read.candles)).toEqual(Array.from(barsToCandles(bars)));
      // The seeded price is where the symbol's path stands at 00:00 UTC of the fake's first day.
      const dayStart = path.historyStartMs()! + DEMO_HISTORY_DAYS * 86_400_000;
      expect(Number(path.klines(symbol, intervalOf('1m')!, { startTime: dayStart, limit: 1, now })[0]!.o)).toBe(series.startPrice);
      // Live carries on from the history's last close.
      const live = path.klines(symbol, intervalOf('1m')!, { limit: 1, now })[0]!;
      expect(live.t / 1000).toBe(forming);
      expect(Number(live.o)).toBe(read.candles[read.candles.length - 2]);
    }
    expect(files.map((f) => f.path.slice(tmp().length + 1)).sort()).toEqual([
      'BTC_USDT-1m.feather',
      'ETH_USDT-1m.feather',
      'futures/BTC_USDT_USDT-1m-futures.feather',
      'futures/SOL_USDT_USDT-1m-futures.feather',
    ]);
  });

  it("the fake's REST answers the same bars the files hold (what gap fill would fetch), and history of every interval before them", async () => {
    fake = await startDemoExchange({ clock: demoClock(60), series: DEMO_SERIES, seed: 2 });
    const [file] = await writeDemoHistory(fake, DEMO_SERIES.slice(0, 1), tmp(), 50);
    const read = await readCandleFile(file!.path, { tfSeconds: 60 });
    const res = await fetch(`${fake.restUrl()}/fapi/v1/klines?symbol=BTCUSDT&interval=1m&startTime=${file!.firstTime * 1000}&limit=50`);
    const rows = (await res.json()) as string[][];
    expect(rows).toHaveLength(50);
    expect(rows.map((r) => [Number(r[0]) / 1000, ...r.slice(1, 6).map(Number)]).flat()).toEqual(Array.from(read.candles.subarray(0, 50 * CANDLE_STRIDE)));
    // Deep history for the picker's other timeframes: 2,000 4h bars, and a day bar per day.
    const fourHours = (await (await fetch(`${fake.restUrl()}/fapi/v1/klines?symbol=BTCUSDT&interval=4h&limit=1500`)).json()) as number[][];
    expect(fourHours).toHaveLength(1500);
    const days = (await (await fetch(`${fake.restUrl()}/fapi/v1/klines?symbol=BTCUSDT&interval=1d&limit=1000`)).json()) as number[][];
    expect(days).toHaveLength(DEMO_HISTORY_DAYS + 1);
  });
});
