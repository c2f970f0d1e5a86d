import { expect, it } from 'vitest';
import { describeWithChromium, UI_TIMEOUT_MS, useChromium } from '../support/browser.js';
import { candle, postBatch, postClosed, startTestGateway, startTestGatewayOnFixedPort } from '../support/gateway-harness.js';

const BTC = 'binance:futures:BTC/USDT:1m';
const minutes = (from: number, to: number) => Array.from({ length: (to - from) / 60 + 1 }, (_, i) => from + 60 * i);

describeWithChromium('live page in Chromium: gateway restart', () => {
  const e2e = useChromium();

  it('reconnects by itself after a restart on the same port and database, resubscribes with since, no reload, no GET', async () => {
    // A fixed port: uWS leaves SO_REUSEADDR off on port 0, and A's connections to the browser,
    // in TIME_WAIT once A's stop closed them, would then keep B from binding A's port.
    const a = e2e.own(await startTestGatewayOnFixedPort());
    expect(
      (
        await postBatch(
          a.url,
          BTC,
          minutes(60, 360).map((t) => candle(t)),
        )
      ).status,
    ).toBe(200);

    const live = await e2e.open(a.url, '/live');
    await live.expectHook('data-live-load-status', 'ready');
    expect(await live.hook('data-last-time')).toBe('360');
    await expect.poll(() => live.subscribes(), { timeout: UI_TIMEOUT_MS }).toHaveLength(1);
    expect(live.subscribes()[0]!.data).toMatchObject({ series_id: BTC, since: 360 });
    // A reload would lose this marker (and add a document load and a history GET).
    await live.page.evaluate(() => ((window as any).__e2eMarker = 'before-restart'));
    await live.recordStatusChanges();

    await a.stop(); // closes the page's socket with 1001 server_shutdown
    // Let the page's first retry hit the closed port, so the test always takes the same path
    // (backoff growing over a refused connect) however fast B would start on this machine.
    await expect
      .poll(() => live.page.getByTestId('status-line').locator('.status-reason').textContent(), { timeout: UI_TIMEOUT_MS })
      .toMatch(/^socket closed \(code 1006\); retrying in/);
    const b = e2e.own(await startTestGateway({ port: a.port }, {}, a.dir));
    expect(b.port).toBe(a.port);
    // Written to B whether or not the page is back yet: either the catch-up after 360 or the live
    // stream delivers them; neither leaves a hole, so no refill GET is due.
    expect((await postClosed(b.url, BTC, candle(420))).status).toBe(200);
    expect((await postClosed(b.url, BTC, candle(480))).status).toBe(200);

    await live.expectHook('data-last-ws-candle-time', '480');
    await live.expectHook('data-live-load-status', 'ready');
    expect(await live.hook('data-last-time')).toBe('480');
    expect(await live.chartTimes()).toEqual(minutes(60, 480));
    expect(await live.statusChanges()).toEqual(['ready', 'reconnecting', 'ready']);

    const resubscribes = live.subscribes().filter((f) => f.socket > 0);
    expect(resubscribes.map((f) => f.data)).toEqual([{ type: 'subscribe', series_id: BTC, since: 360, supports_batch: true }]);
    expect(await live.page.evaluate(() => (window as any).__e2eMarker)).toBe('before-restart');
    // Chromium reports each refused connect on the console; those, and only those, were expected.
    const refused = live.takeProblems(
      new RegExp(`^console\\.error: WebSocket connection to 'ws://127\\.0\\.0\\.1:${a.port}/ws/market' failed: .*ERR_CONNECTION_REFUSED`),
    );
    expect(refused.length).toBeGreaterThanOrEqual(1);
    // So are the health lamp's polls that fell into the restart (each one also a console line).
    const healthPolls = live.takeProblems(new RegExp(`^request failed: http://127\\.0\\.0\\.1:${a.port}/api/market/health\\?.* net::ERR_CONNECTION_REFUSED$`));
    live
      .takeProblems(/^console\.error: Failed to load resource: net::ERR_CONNECTION_REFUSED$/)
      .forEach((line, i) => expect(i, line).toBeLessThan(healthPolls.length));
    expect(live.documentLoads).toHaveLength(1);
    expect(live.candleGets).toHaveLength(1);
  });
});
