import { join } from 'node:path';
import { expect, it } from 'vitest';
import { CANDLE_STRIDE } from '../../../src/domain/candle.js';
import { readCandleFile } from '../../../src/decode/read-candle-file.js';
import { artifactPath, describeWithChromium, launchChromium, LivePage } from '../../support/browser.js';
import { measureCandleInk } from '../../support/chart-pixels.js';
import { DemoProcess } from '../../support/demo-process.js';
import { freePort } from '../../../tools/lib/free-port.js';
import { http } from '../../support/gateway-harness.js';
import { useTempDir } from '../../support/temp-dir.js';

const ETH = 'binance:spot:ETH/USDT:1m';
const HISTORY_BARS = 2000; // the demo's default
/** Generous for a loaded 2-core machine; every wait ends as soon as its condition holds. */
const WAIT_MS = 20_000;

const steps = (times: number[]) => times.slice(1).map((t, i) => t - times[i]!);

describeWithChromium('npm run demo, for real: fake Binance + history + gateway, in Chromium', () => {
  const tmp = useTempDir('kline-demo-run-');

  it('shows deep history joined to live candles without a hole, and Ctrl-C stops it all with exit code 0', async () => {
    const port = await freePort();
    const demo = DemoProcess.start(['--port', String(port), '--bar-seconds', '2', '--data-dir', tmp()]);
    const browser = await launchChromium();
    let live: LivePage | undefined;
    try {
      await demo.waitForOutput('Press Ctrl-C to stop.', 40_000);
      const url = /Live chart {4}(http:\/\/127\.0\.0\.1:\d+)\/live\n/.exec(demo.output)?.[1];
      expect(url, demo.output).toBe(`http://127.0.0.1:${port}`);
      expect(demo.output).toContain(`${url}/live?series_id=${ETH}`);

      live = await LivePage.create(browser);
      await live.page.goto(`${url}/live?series_id=${ETH}`);
      await expect.poll(() => live!.hook('data-live-load-status'), { timeout: WAIT_MS }).toBe('ready');
      expect(await live.hook('data-series-id')).toBe(ETH);
      // All the history, plus the forming bar (and whatever closed since start-up): the forming bar
      // arrives over the socket after the history is drawn.
      await expect.poll(async () => Number(await live!.hook('data-candles-len')), { timeout: WAIT_MS }).toBeGreaterThan(HISTORY_BARS);

      // Live: the forming candle moves (an update every 250 ms), and closed candles arrive over WS.
      const before = `${await live.hook('data-last-time')} ${await live.hook('data-last-close')}`;
      await expect.poll(async () => `${await live!.hook('data-last-time')} ${await live!.hook('data-last-close')}`, { timeout: WAIT_MS }).not.toBe(before);
      const firstWs = await waitForWsCandleAfter(live, 0);
      await waitForWsCandleAfter(live, firstWs);

      // No hole anywhere, in particular where the history file ends and live ingest took over
      // (bars that closed while the gateway started came from the fake's REST).
      const file = await readCandleFile(join(tmp(), 'freqtrade', 'ETH_USDT-1m.feather'), { tfSeconds: 60 });
      expect(file.rowsKept).toBeGreaterThanOrEqual(HISTORY_BARS);
      const historyEnd = file.candles[file.candles.length - CANDLE_STRIDE]!;
      const stored = await http(url!, 'GET', `/api/market/candles?series_id=${encodeURIComponent(ETH)}&limit=5000`);
      const times = (stored.body.candles as Array<{ candle_time: number }>).map((c) => c.candle_time);
      expect(times[0]).toBe(file.candles[0]);
      expect(times).toContain(historyEnd + 60); // the first bar from live ingest
      expect(times).toContain(firstWs);
      expect(new Set(steps(times))).toEqual(new Set([60]));
      // The chart too (it loaded the latest 2000 then went on live): the boundary is on it.
      const chartTimes = await live.chartTimes();
      expect(chartTimes).toContain(historyEnd);
      expect(chartTimes).toContain(historyEnd + 60);
      expect(new Set(steps(chartTimes))).toEqual(new Set([60]));
      const job = (await http(url!, 'GET', '/api/market/debug/ingest_state')).body.jobs.find((j: { series_id: string }) => j.series_id === ETH);
      expect(job).toMatchObject({ running: true, unfilled_holes: 0, gap_fill_errors: 0, reconnects: 0 });

      // Candles are drawn, not just held.
      const ink = await measureCandleInk(live.page);
      expect(ink.upColumns + ink.downColumns).toBeGreaterThan(100);
      await live.page.screenshot({ path: artifactPath('demo-chart.png') });
      expect(live.problems).toEqual([]);
      await live.close();
      live = undefined;

      demo.interrupt();
      const exit = await demo.whenExited(15_000);
      expect(exit, demo.output).toEqual({ code: 0, signal: null });
      expect(demo.output).toContain('Demo stopped.');
    } finally {
      await live?.close();
      await browser.close();
      demo.kill();
    }
  }, 60_000);
});

/** The next closed candle over WS newer than `after` (the page's data-last-ws-candle-time). */
async function waitForWsCandleAfter(live: LivePage, after: number): Promise<number> {
  await expect.poll(async () => Number((await live.hook('data-last-ws-candle-time')) || 0), { timeout: WAIT_MS }).toBeGreaterThan(after);
  return Number(await live.hook('data-last-ws-candle-time'));
}
