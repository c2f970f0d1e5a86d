import { expect, it } from 'vitest';
import { FakeBinance } from '../../tools/fake-binance/fake-binance.js';
import { describeWithChromium, UI_TIMEOUT_MS, useChromium, type LivePage } from '../support/browser.js';
import { startTestGateway } from '../support/gateway-harness.js';
import { fakeRestRows } from '../support/fake-rest-rows.js';
import { fakeBinanceSettings } from '../support/live-ingest.js';

/**
 * History on first open, in Chromium (issue 11): with on-demand ingest from the fake exchange
 * (REST history 90 days back for any symbol and interval), clicking 5m, 1h and 1d shows each
 * series' full tail — 2,000 bars, or all the fake has (1d: 91) — with exactly one history GET, the
 * last bar keeps moving, and scrolling to the left edge loads older bars without moving the bars
 * on screen.
 */
const TAIL = 2000;

describeWithChromium('first open of never-seen series in Chromium', () => {
  const e2e = useChromium();

  it('5m, 1h and 1d each show their tail (2,000 bars, or all the fake has) with one history GET; the last bar moves', async () => {
    const fake = await FakeBinance.start({ tickMs: 100, historyDays: 90 });
    try {
      const gw = e2e.own(await startTestGateway({ enableOndemandIngest: true, ...fakeBinanceSettings(fake) }));
      const live = await e2e.open(gw.url, '/live');
      await live.expectHook('data-live-load-status', 'ready');
      for (const tf of ['5m', '1h', '1d']) {
        const wanted = Math.min(TAIL, (await closedBars(fake, tf)).length);
        const gets = live.candleGets.length;
        await live.page.click(`[data-testid="timeframe-${tf}"]`);
        await live.expectHook('data-series-id', `binance:futures:BTC/USDT:${tf}`);
        await live.expectHook('data-live-load-status', 'ready');
        await expect.poll(async () => Number(await live.hook('data-candles-len')), { timeout: UI_TIMEOUT_MS, message: tf }).toBeGreaterThanOrEqual(wanted);
        expect(live.candleGets.slice(gets).map((u) => u.searchParams.get('limit'))).toEqual(['2000']);
        await lastBarMoves(live);
      }
    } finally {
      await fake.close();
    }
  });

  it('scrolling to the left edge loads older bars; the bars on screen stay where they were', async () => {
    // 30 days of 15m bars (~2,900): one older page of 1,000 after the 2,000 of the first GET.
    const fake = await FakeBinance.start({ tickMs: 100, historyDays: 30 });
    try {
      const gw = e2e.own(await startTestGateway({ enableOndemandIngest: true, ...fakeBinanceSettings(fake) }));
      const live = await e2e.open(gw.url, '/live?series_id=binance:spot:ETH/USDT:15m');
      await live.expectHook('data-live-load-status', 'ready');
      await expect.poll(async () => Number(await live.hook('data-candles-len')), { timeout: UI_TIMEOUT_MS }).toBeGreaterThanOrEqual(TAIL);

      // Hold the older page until the view before it is recorded.
      let release: () => void = () => undefined;
      const held = new Promise<void>((resolve) => (release = resolve));
      await live.page.route(/before=/, async (route) => {
        await held;
        await route.continue();
      });
      const box = (await live.page.locator('[data-chart-host]').boundingBox())!;
      const y = box.y + box.height / 2;
      await live.page.mouse.move(box.x + box.width / 2, y);
      for (let i = 0; i < 40; i++) await live.page.mouse.wheel(0, 1200); // zoom out: more bars per pixel
      for (let drag = 0; drag < 20 && !live.candleGets.some((u) => u.searchParams.has('before')); drag++) {
        // Drag right: older bars come into view, until the oldest one is near the left edge.
        await live.page.mouse.move(box.x + 100, y);
        await live.page.mouse.down();
        await live.page.mouse.move(box.x + box.width - 100, y, { steps: 10 });
        await live.page.mouse.up();
        await live.page.waitForTimeout(100);
      }
      // Bars on screen before the older page lands: the newest and two more, with where they are drawn.
      const visible = (await live.visibleTimes())!;
      const onScreen = (await live.chartTimes())
        .filter((t) => t >= visible.from && t <= visible.to)
        .filter((_, i, all) => i === 0 || i === all.length >> 1 || i === all.length - 1);
      const drawnAt = await live.xOf(onScreen);
      release();
      // Every bar the exchange has: the 2,000 of the first GET and the older ones of one page.
      const all = (await closedBars(fake, '15m', 'spot', 'ETHUSDT')).length;
      await expect.poll(async () => (await live.chartTimes()).length, { timeout: UI_TIMEOUT_MS }).toBeGreaterThanOrEqual(all);
      expect(drawnAt.every((x) => x !== null)).toBe(true);
      // Same place to a hundredth of a pixel: the chart recomputes coordinates in floating point
      // (581.6150444999994 vs …995 once), while a real shift would move a bar by its width or more.
      const redrawnAt = await live.xOf(onScreen);
      expect(redrawnAt).toHaveLength(drawnAt.length);
      redrawnAt.forEach((x, i) => expect(x).toBeCloseTo(drawnAt[i]!, 2));
      const older = live.candleGets.filter((u) => u.searchParams.has('before'));
      expect(older[0]!.searchParams.get('limit')).toBe('1000');
      const times = await live.chartTimes();
      for (let i = 1; i < times.length; i++) expect(times[i]! - times[i - 1]!).toBe(900);
    } finally {
      await fake.close();
    }
  });
});

/** Every closed bar the fake's REST has for a series (its forming bar is newer). */
async function closedBars(fake: FakeBinance, interval: string, market: 'spot' | 'futures' = 'futures', symbol = 'BTCUSDT'): Promise<unknown[]> {
  const start = fake.generators[market].historyStartMs() ?? 0;
  return fakeRestRows(fake, market, symbol, interval, start / 1000, Math.floor(fake.now() / 1000) - 1).then((rows) => rows.slice(0, -1));
}

/** The last bar's close or time changes while the page watches (forming updates, closes). */
async function lastBarMoves(live: LivePage): Promise<void> {
  const first = `${await live.hook('data-last-time')} ${await live.hook('data-last-close')}`;
  await expect
    .poll(async () => `${await live.hook('data-last-time')} ${await live.hook('data-last-close')}`, { timeout: UI_TIMEOUT_MS, message: 'the last bar to move' })
    .not.toBe(first);
}
