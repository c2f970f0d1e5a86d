import { afterEach, describe, expect, it } from 'vitest';
import { CANDLE_STRIDE } from '../../../src/domain/candle.js';
import { BAR_VOLATILITY, demoClock } from '../../../tools/demo/demo-clock.js';
import { startDemoExchange } from '../../../tools/demo/demo-exchange.js';
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

  it('each demo series starts with its history; the files hold exactly those bars, ending right before the forming bar', async () => {
    fake = await startDemoExchange({ clock: demoClock(60), series: DEMO_SERIES, historyBars: 300, seed: 1 });
    const files = await writeDemoHistory(fake, DEMO_SERIES, tmp());
    expect(files.map((f) => f.seriesId)).toEqual(DEMO_SERIES.map((s) => s.seriesId));
    const forming = Math.floor(fake.now() / 60_000) * 60;
    for (const file of files) {
      const series = DEMO_SERIES.find((s) => s.seriesId === file.seriesId)!;
      const { market, stream } = exchangeNamesOf(series);
      const bars = fake.generators[market].history(stream);
      const read = await readCandleFile(file.path, { tfSeconds: 60 });
      expect(read.reason).toBeUndefined();
      expect(read.gaps).toBe(0);
      expect(Array.from(read.candles)).toEqual(Array.from(barsToCandles(bars)));
      expect(file.rows).toBeGreaterThanOrEqual(300);
      expect(file.lastTime).toBe(read.candles[read.candles.length - CANDLE_STRIDE]);
      // At real time no bar closes in these few ms, unless a minute boundary fell in between.
      expect([forming - 60, forming]).toContain(file.lastTime);
      expect(Number(bars[0]!.o)).toBe(series.startPrice);
      // Live carries on from the history's last close.
      expect(fake.generators[market].formingBar(stream)!.o).toBe(bars.at(-1)!.c);
    }
    expect(files.map((f) => f.path.slice(tmp().length + 1)).sort()).toEqual([
      'BTC_USDT-1m.feather',
      'ETH_USDT-1m.feather',
      'futures/BTC_USDT_USDT-1m-futures.feather',
      'futures/SOL_USDT_USDT-1m-futures.feather',
    ]);
  });

  it("the fake's REST answers the same bars the files hold (what gap fill would fetch)", async () => {
    fake = await startDemoExchange({ clock: demoClock(60), series: DEMO_SERIES, historyBars: 50, seed: 2 });
    const [file] = await writeDemoHistory(fake, DEMO_SERIES.slice(0, 1), tmp());
    const read = await readCandleFile(file!.path, { tfSeconds: 60 });
    const res = await fetch(`${fake.restUrl()}/fapi/v1/klines?symbol=BTCUSDT&interval=1m&startTime=${file!.firstTime * 1000}&limit=50`);
    const rows = (await res.json()) as string[][];
    expect(rows).toHaveLength(50);
    expect(rows.map((r) => [Number(r[0]) / 1000, ...r.slice(1, 6).map(Number)]).flat()).toEqual(Array.from(read.candles.subarray(0, 50 * CANDLE_STRIDE)));
  });
});
