import { describe, expect, it } from 'vitest';
import { SeriesSync } from '../../web/sync/series-sync.js';
import { candle, candlesAt, fakeBrowser, settle } from './fake-browser.js';
import { body, BTC, ETH, ready, start, times, WS_URL } from './series-sync-harness.js';

// The selection's life: switching series, the socket coming and going, disposal, scroll-back.
// What the server sends while a series is shown: series-sync-frames.test.ts.

describe('series switch', () => {
  it('makes exactly one history GET, then one subscribe with since = last closed time', async () => {
    const t = start();
    t.sync.switchTo(BTC);
    expect(t.http.calls).toHaveLength(1);
    const q = t.http.calls[0]!.query;
    expect([q.get('series_id'), q.get('limit'), q.get('since')]).toEqual([BTC, '2000', null]);
    expect(t.sockets.map((s) => s.url)).toEqual([WS_URL]);

    t.socket().accept();
    expect(t.socket().sent).toEqual([]); // since is unknown until the history arrives
    expect(t.sync.status).toBe('loading');

    t.http.calls[0]!.respond(200, body(BTC, candlesAt([60, 120, 180])));
    await settle();
    expect(t.socket().sent).toEqual([{ type: 'subscribe', series_id: BTC, since: 180, supports_batch: true }]);
    expect(t.sync.status).toBe('ready');
    expect(times(t.sync)).toEqual([60, 120, 180]);
    expect(t.http.calls).toHaveLength(1);
    expect(t.sockets).toHaveLength(1);
  });

  it('subscribes once the socket opens when the history came first', async () => {
    const t = start();
    t.sync.switchTo(BTC);
    t.http.calls[0]!.respond(200, body(BTC, candlesAt([60])));
    await settle();
    expect(t.sync.status).toBe('loading');
    t.socket().accept();
    expect(t.socket().sent).toEqual([{ type: 'subscribe', series_id: BTC, since: 60, supports_batch: true }]);
    expect(t.sync.status).toBe('ready');
  });

  it('subscribes with since null when nothing is stored yet', async () => {
    const t = start();
    t.sync.switchTo(BTC);
    t.socket().accept();
    t.http.calls[0]!.respond(200, body(BTC, []));
    await settle();
    expect(t.socket().sent).toEqual([{ type: 'subscribe', series_id: BTC, since: null, supports_batch: true }]);
  });

  it('unsubscribes the old series, loads the new one over the same socket, and ignores late frames of the old', async () => {
    const t = await ready();
    t.sync.switchTo(ETH);
    expect(t.socket().sent.at(-1)).toEqual({ type: 'unsubscribe', series_id: BTC });
    expect(t.sync.book.length).toBe(0);
    expect(t.sync.status).toBe('loading');
    expect(t.http.candleCalls().map((c) => c.query.get('series_id'))).toEqual([BTC, ETH]);

    t.socket().push({ type: 'candle_closed', series_id: BTC, candle: candle(240) });
    t.socket().push({ type: 'candle_forming', series_id: BTC, candle: candle(300) });
    expect(t.sync.book.length).toBe(0);

    t.http.calls[1]!.respond(200, body(ETH, candlesAt([600, 660])));
    await settle();
    expect(t.socket().sent.at(-1)).toEqual({ type: 'subscribe', series_id: ETH, since: 660, supports_batch: true });
    t.socket().push({ type: 'candles_batch', series_id: BTC, candles: candlesAt([240, 300]) });
    t.socket().push({ type: 'gap', series_id: BTC, expected_next_time: 240, actual_time: 360 });
    t.socket().push({ type: 'candle_closed', series_id: ETH, candle: candle(720) });
    expect(times(t.sync)).toEqual([600, 660, 720]);
    expect(t.sync.lastWsCandleTime).toBe(720);
    expect(t.http.calls).toHaveLength(2); // the old series' gap asked for nothing
    expect(t.sockets).toHaveLength(1);
  });

  it('ignores a history answer that arrives after the user moved on', async () => {
    const t = start();
    t.sync.switchTo(BTC);
    t.socket().accept();
    t.sync.switchTo(ETH);
    expect(t.socket().sent).toEqual([]); // BTC was never subscribed, so nothing to unsubscribe
    t.http.calls[0]!.respond(200, body(BTC, candlesAt([60, 120])));
    await settle();
    expect(t.sync.book.length).toBe(0);
    expect(t.socket().sent).toEqual([]);
    t.http.calls[1]!.respond(200, body(ETH, candlesAt([600])));
    await settle();
    expect(t.socket().sent).toEqual([{ type: 'subscribe', series_id: ETH, since: 600, supports_batch: true }]);
    expect(times(t.sync)).toEqual([600]);
  });

  it('treats selecting the series already shown as no switch', async () => {
    const t = await ready();
    t.sync.switchTo(BTC);
    expect(t.http.calls).toHaveLength(1);
    expect(t.socket().sent).toHaveLength(1);
  });
});

describe('reconnect', () => {
  it('reopens with exponential backoff and resubscribes with since = last closed time, keeping the chart', async () => {
    const t = await ready();
    t.socket().push({ type: 'candle_closed', series_id: BTC, candle: candle(240) });
    t.socket().push({ type: 'candle_forming', series_id: BTC, candle: candle(300) });
    t.bars.length = 0;

    t.socket().drop(1006);
    expect(t.sync.status).toBe('reconnecting');
    expect(t.sync.statusReason).toBe('socket closed (code 1006); retrying in 0.5s');
    const delays: number[] = [];
    for (let i = 0; i < 7; i++) {
      delays.push(...t.clock.pending());
      t.clock.advance(t.clock.pending()[0]!);
      t.socket().drop(1006); // the server is still down
    }
    expect(delays).toEqual([500, 1000, 2000, 4000, 8000, 10_000, 10_000]);
    expect(t.sync.status).toBe('reconnecting');

    t.clock.advance(10_000);
    t.socket().accept();
    expect(t.socket().sent).toEqual([{ type: 'subscribe', series_id: BTC, since: 240, supports_batch: true }]);
    expect(t.sync.status).toBe('ready');
    expect(t.http.calls).toHaveLength(1); // no reload: the page kept what it had
    expect(t.bars).toEqual([]);
    expect(times(t.sync)).toEqual([60, 120, 180, 240, 300]);

    // Healthy again: the next outage starts from the shortest delay.
    t.socket().drop(1001, 'server_shutdown');
    expect(t.sync.statusReason).toBe('socket closed (code 1001 server_shutdown); retrying in 0.5s');
    expect(t.clock.pending()).toEqual([500]);
  });

  it('jitters delays downwards so pages do not reconnect in lockstep', async () => {
    const browser = fakeBrowser();
    browser.transport.random = () => 0.5;
    const sync = new SeriesSync({ transport: browser.transport, wsUrl: WS_URL, listener: { onBars() {}, onStatus() {} } });
    sync.switchTo(BTC);
    browser.socket().drop();
    expect(browser.clock.pending()).toEqual([450]); // 500 ms less 20 % × 0.5
  });

  it('stays "loading" while the first connection fails, with the reason shown', () => {
    const t = start('snapshot');
    t.sync.switchTo(BTC);
    t.socket().drop(1006);
    expect([t.sync.status, t.sync.statusReason]).toEqual(['loading', 'socket closed (code 1006); retrying in 0.5s']);
    t.clock.advance(500);
    t.socket().accept();
    t.socket().push({ type: 'snapshot', series_id: BTC, candles: candlesAt([60]), server_head_time: 60, forming: null });
    expect([t.sync.status, t.sync.statusReason]).toEqual(['ready', '']);
  });

  it('drops frames that arrive before the new subscribe went out', async () => {
    const t = await ready();
    t.socket().drop();
    t.clock.advance(500);
    t.socket().push({ type: 'candle_closed', series_id: BTC, candle: candle(240) });
    expect(t.sync.book.length).toBe(3);
  });
});

describe('dispose', () => {
  it('closes the socket and never reconnects', async () => {
    const t = await ready();
    const socket = t.socket();
    t.sync.dispose();
    expect(socket.readyState).toBe(3);
    expect(t.clock.pending()).toEqual([]);
    expect(t.sockets).toHaveLength(1);
  });
});

describe('scroll-back (older bars at the left edge)', () => {
  it('asks for the page before the first bar, prepends it, and reports how many bars were added', async () => {
    const t = await ready();
    const loading = t.sync.loadOlder();
    expect(await Promise.race([loading.then(() => 'done'), settle().then(() => 'waiting')])).toBe('waiting');
    await expect(t.sync.loadOlder()).resolves.toEqual({ kind: 'busy' }); // one page at a time
    const q = t.http.calls[1]!.query;
    expect([q.get('series_id'), q.get('before'), q.get('limit'), q.get('since')]).toEqual([BTC, '60', '1000', null]);
    t.http.calls[1]!.respond(200, body(BTC, candlesAt([0, 30])));
    expect(await loading).toEqual({ kind: 'loaded', added: 2 });
    expect(times(t.sync)).toEqual([0, 30, 60, 120, 180]);
    expect(t.bars).toEqual([{ kind: 'older', count: 2 }]);
  });

  it('stops asking once the server has nothing older', async () => {
    const t = await ready();
    const loading = t.sync.loadOlder();
    await settle();
    t.http.calls[1]!.respond(200, body(BTC, []));
    expect(await loading).toEqual({ kind: 'exhausted' });
    expect(await t.sync.loadOlder()).toEqual({ kind: 'exhausted' });
    expect(t.http.calls).toHaveLength(2);
    expect(t.bars).toEqual([]);
  });

  it('a page that arrives after a switch to another series is dropped', async () => {
    const t = await ready();
    const loading = t.sync.loadOlder();
    await settle();
    t.sync.switchTo(ETH);
    t.http.calls[1]!.respond(200, body(BTC, candlesAt([0])));
    expect(await loading).toEqual({ kind: 'busy' });
    expect(times(t.sync)).toEqual([]);
  });

  it('a failed page is reported, not fatal: the chart stays live and the next scroll asks again', async () => {
    const t = await ready();
    const loading = t.sync.loadOlder();
    await settle();
    t.http.calls[1]!.respond(503, { code: 'unavailable', message: 'later' });
    expect((await loading).kind).toBe('failed');
    expect(t.warnings).toEqual([expect.stringContaining('older bars: HTTP 503')]);
    expect(t.sync.status).toBe('ready');
    void t.sync.loadOlder();
    await settle();
    expect(t.http.calls).toHaveLength(3);
  });
});
