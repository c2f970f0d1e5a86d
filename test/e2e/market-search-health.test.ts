import { expect, it } from 'vitest';
import { ManualClock } from '../../src/shared/clock.js';
import { FakeBinance } from '../../tools/fake-binance/fake-binance.js';
import { formatChange } from '../../web/sync/top-markets.js';
import { formatVolume } from '../../web/view/price-format.js';
import { describeWithChromium, UI_TIMEOUT_MS, useChromium } from '../support/browser.js';
import { candle, http, postBatch, postClosed, startTestGateway } from '../support/gateway-harness.js';
import { fakeBinanceSettings } from '../support/live-ingest.js';

/**
 * The live page's symbol search over the market list and its series health lamp (issue 12), in
 * Chromium against the real gateway (and the fake exchange over real sockets for the list).
 */
const LAMP = '[data-testid="health-lamp"]';

describeWithChromium('live page: symbol search and health lamp', () => {
  const e2e = useChromium();

  it('the symbol search finds and opens a futures symbol from the market list (type, arrow keys, Enter)', async () => {
    const fake = await FakeBinance.start({ barMs: 2000, tickMs: 100 });
    try {
      const gw = e2e.own(await startTestGateway({ enableOndemandIngest: true, ...fakeBinanceSettings(fake) }));
      const live = await e2e.open(gw.url, '/live');
      await live.expectHook('data-live-load-status', 'ready');
      fake.pause(); // the list stands still while the page and the test both read it
      const input = live.page.getByTestId('symbol-input');
      await input.click();
      await input.fill('eth');
      const options = live.page.getByTestId('symbol-option');
      await expect.poll(() => options.first().getAttribute('data-symbol'), { timeout: UI_TIMEOUT_MS }).toBe('ETH/USDT');

      // Beside the symbol: its 24h change and quote volume, as the gateway's market list has them.
      const list = await http(gw.url, 'GET', '/api/market/top_markets?market=futures&limit=200');
      const eth = list.body.items.find((i: any) => i.symbol === 'ETH/USDT');
      await expect.poll(() => options.first().locator('.opt-change').textContent(), { timeout: UI_TIMEOUT_MS }).toBe(formatChange(eth.price_change_percent));
      expect(await options.first().locator('.opt-volume').textContent()).toBe(formatVolume(eth.quote_volume));
      // Typing filters: every option matches.
      for (const symbol of await options.evaluateAll((els) => els.map((e) => e.getAttribute('data-symbol')))) expect(symbol).toContain('ETH');

      await input.press('ArrowDown');
      expect(await options.first().getAttribute('aria-selected')).toBe('true');
      expect(await input.getAttribute('aria-activedescendant')).toBe(await options.first().getAttribute('id'));
      await input.press('Enter');

      const ETH = 'binance:futures:ETH/USDT:1m';
      await live.expectHook('data-series-id', ETH);
      await live.expectHook('data-live-load-status', 'ready');
      expect(await input.inputValue()).toBe('ETH/USDT');
      expect(await live.page.getByTestId('symbol-results').isHidden()).toBe(true);
      expect(new URL(live.page.url()).searchParams.get('series_id')).toBe(ETH);
      await expect.poll(() => live.subscribes().map((f) => f.data.series_id), { timeout: UI_TIMEOUT_MS }).toContain(ETH);
      fake.resume();
      // The fake streams it: the chart fills.
      await expect.poll(async () => Number(await live.hook('data-candles-len')), { timeout: UI_TIMEOUT_MS }).toBeGreaterThan(0);
    } finally {
      await fake.close();
    }
  });

  it('the health lamp is green within 3 s of a closed candle, red for a stale series, with the reason on hover', async () => {
    const clock = new ManualClock(Date.now());
    const gw = e2e.own(await startTestGateway({}, { clock }));
    const closed = Math.floor(clock.now() / 60_000) * 60 - 60; // the newest bar closed by the gateway's clock
    const S = 'binance:spot:ETH/USDT:1m';
    expect((await postBatch(gw.url, S, [candle(closed - 120), candle(closed - 60)])).status).toBe(200);

    const live = await e2e.open(gw.url, `/live?series_id=${S}`);
    await live.expectHook('data-live-load-status', 'ready');
    const lamp = live.page.locator(LAMP);
    await expect.poll(() => lamp.getAttribute('data-health'), { timeout: UI_TIMEOUT_MS }).toBe('red');
    expect(await lamp.getAttribute('title')).toMatch(/^lagging_no_recent_backfill: candles are missing/);
    expect(await lamp.textContent()).toContain('Lagging · 1m missing');

    const posted = Date.now();
    expect((await postClosed(gw.url, S, candle(closed))).status).toBe(200);
    await expect.poll(() => lamp.getAttribute('data-health'), { timeout: 3_000, interval: 50 }).toBe('green');
    expect(Date.now() - posted).toBeLessThan(3_000);
    expect(await lamp.getAttribute('title')).toBe('up_to_date: the newest closed candle is stored');
    expect(await lamp.textContent()).toContain('Up to date');

    // A stale series: its newest candle is an hour old.
    const OLD = 'binance:spot:XRP/USDT:1m';
    expect((await postBatch(gw.url, OLD, [candle(closed - 3600)])).status).toBe(200);
    const stale = await e2e.open(gw.url, `/live?series_id=${OLD}`);
    const staleLamp = stale.page.locator(LAMP);
    await expect.poll(() => staleLamp.getAttribute('data-health'), { timeout: UI_TIMEOUT_MS }).toBe('red');
    expect(await staleLamp.getAttribute('title')).toMatch(/^lagging_no_recent_backfill: .*60 candle\(s\) missing/);
    expect(await staleLamp.textContent()).toContain('Lagging · 1h missing');
  });
});
