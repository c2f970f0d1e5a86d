import { statSync } from 'node:fs';
import { expect, it } from 'vitest';
import type { Candle } from '../../src/domain/candle.js';
import { artifactPath, describeWithChromium, UI_TIMEOUT_MS, useChromium } from '../support/browser.js';
import { measureCandleInk } from '../support/chart-pixels.js';
import { postBatch, startTestGateway } from '../support/gateway-harness.js';

const BTC = 'binance:futures:BTC/USDT:1m';
const BARS = 40;

/** Alternating up and down bars with tall bodies on a gentle wave: easy to see, easy to count. */
function wave(count: number): Candle[] {
  return Array.from({ length: count }, (_, k) => {
    const i = k + 1;
    const mid = Math.round(10000 + 1000 * Math.sin(i / 4)) / 100; // cents: the axis shows 2 decimals
    const [open, close] = i % 2 === 0 ? [mid - 2, mid + 2] : [mid + 2, mid - 2];
    return { candle_time: 60 * i, open, high: Math.max(open, close) + 1, low: Math.min(open, close) - 1, close, volume: 5 + (i % 5) };
  });
}

describeWithChromium('live page in Chromium: the chart is drawn', () => {
  const e2e = useChromium();

  it('draws candles in both colours (a blank chart measures zero) and saves a screenshot', async () => {
    const gw = e2e.own(await startTestGateway());
    const live = await e2e.open(gw.url, '/live');
    await live.expectHook('data-live-load-status', 'ready');
    expect(await live.hook('data-candles-len')).toBe('0');
    // The same measurement on the empty chart: background, grid and axes only, no candle ink.
    const blank = await measureCandleInk(live.page);
    expect(blank.canvases).toBeGreaterThan(0);
    expect(blank).toMatchObject({ upColumns: 0, downColumns: 0 });

    // Published, so they arrive over the socket as one candles_batch.
    expect((await postBatch(gw.url, BTC, wave(BARS), true)).status).toBe(200);
    await live.expectHook('data-candles-len', String(BARS));
    // Every bar leaves at least one column of its colour (20 up, 20 down); drawing is on the next frame.
    await expect
      .poll(() => measureCandleInk(live.page), { timeout: UI_TIMEOUT_MS })
      .toSatisfy((ink: { upColumns: number; downColumns: number }) => ink.upColumns >= BARS / 2 && ink.downColumns >= BARS / 2);

    // Under the page's strict CSP nothing was refused (a violation is a console error).
    expect(live.problems).toEqual([]);
    const file = artifactPath('live-chart.png');
    await live.page.getByTestId('chart-view').screenshot({ path: file });
    expect(statSync(file).size).toBeGreaterThan(1000);
  });
});
