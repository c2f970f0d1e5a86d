import { expect, it } from 'vitest';
import { describeWithChromium, launchChromium, LivePage } from '../../support/browser.js';
import { DemoProcess } from '../../support/demo-process.js';
import { freePort } from '../../../tools/lib/free-port.js';
import { useTempDir } from '../../support/temp-dir.js';

const BTC = 'binance:futures:BTC/USDT';
const TAIL = 2000;
/** Generous for a loaded 2-core machine; every wait ends as soon as its condition holds. */
const WAIT_MS = 20_000;

/**
 * Issue 11's first complaint, as a new user meets it: `npm run demo`, open /live, click 5m, 1h
 * and 1d. Each must show its full tail (2,000 bars; 1d: as many as the fake exchange has, up to
 * that) with exactly one history GET, and the last bar must move. The tail comes from the fake's
 * REST history before its start (issue 11 item 4), through tail coverage.
 */
describeWithChromium('npm run demo: every timeframe of the picker opens with its history', () => {
  const tmp = useTempDir('kline-demo-first-open-');

  it('5m, 1h and 1d each show their tail with one history GET, and the last bar moves', async () => {
    const port = await freePort();
    const demo = DemoProcess.start(['--port', String(port), '--bar-seconds', '2', '--data-dir', tmp()]);
    const browser = await launchChromium();
    let live: LivePage | undefined;
    try {
      await demo.waitForOutput('Press Ctrl-C to stop.', 40_000);
      const exchange = /Fake Binance {2}(http:\/\/127\.0\.0\.1:\d+)/.exec(demo.output)?.[1];
      expect(exchange, demo.output).toBeDefined();
      expect(await closedBarsOnExchange(exchange!, '5m'), "the demo's fake exchange serves 5m history before its start").toBeGreaterThanOrEqual(TAIL);

      live = await LivePage.create(browser);
      await live.page.goto(`http://127.0.0.1:${port}/live?series_id=${BTC}:1m`);
      await expect.poll(() => live!.hook('data-live-load-status'), { timeout: WAIT_MS }).toBe('ready');
      for (const tf of ['5m', '1h', '1d']) {
        const wanted = Math.min(TAIL, await closedBarsOnExchange(exchange!, tf));
        const gets = live.candleGets.length;
        await live.page.click(`[data-testid="timeframe-${tf}"]`);
        await expect.poll(() => live!.hook('data-series-id'), { timeout: WAIT_MS }).toBe(`${BTC}:${tf}`);
        await expect.poll(() => live!.hook('data-live-load-status'), { timeout: WAIT_MS }).toBe('ready');
        await expect.poll(async () => Number(await live!.hook('data-candles-len')), { timeout: WAIT_MS, message: tf }).toBeGreaterThanOrEqual(wanted);
        expect(
          live.candleGets.slice(gets).map((u) => Object.fromEntries(u.searchParams)),
          tf,
        ).toEqual([{ series_id: `${BTC}:${tf}`, limit: '2000' }]);
        const before = `${await live.hook('data-last-time')} ${await live.hook('data-last-close')}`;
        await expect
          .poll(async () => `${await live!.hook('data-last-time')} ${await live!.hook('data-last-close')}`, { timeout: WAIT_MS, message: tf })
          .not.toBe(before);
      }
      expect(live.problems).toEqual([]);
    } finally {
      await live?.close();
      await browser.close();
      demo.interrupt();
      if ((await demo.whenExited(15_000)) === null) demo.kill();
    }
  }, 90_000);
});

/** Closed bars the fake serves for BTCUSDT futures at `interval`, counted up to TAIL (pages of 1500, newest first). */
async function closedBarsOnExchange(exchange: string, interval: string): Promise<number> {
  let count = 0;
  let end = '';
  for (;;) {
    const rows = (await (await fetch(`${exchange}/fapi/v1/klines?symbol=BTCUSDT&interval=${interval}&limit=1500${end}`)).json()) as number[][];
    // The newest row of the first page is the bar still forming.
    count += end === '' ? Math.max(0, rows.length - 1) : rows.length;
    if (rows.length < 1500 || count >= TAIL) return count;
    end = `&endTime=${rows[0]![0]! - 1}`;
  }
}
