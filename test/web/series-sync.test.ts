import { describe, expect, it } from 'vitest';
import type { BarChange } from '../../web/sync/candle-book.js';
import type { SyncMode } from '../../web/sync/live-frames.js';
import { SeriesSync, type LoadStatus } from '../../web/sync/series-sync.js';
import { candle, candlesAt, fakeBrowser, settle, type FetchCall } from './fake-browser.js';

const BTC = 'binance:futures:BTC/USDT:1m';
const ETH = 'binance:spot:ETH/USDT:1m';
const WS_URL = 'ws://page.test/ws/market';

function start(mode: SyncMode = 'history') {
  const browser = fakeBrowser();
  const bars: BarChange[] = [];
  const statuses: Array<[LoadStatus, string]> = [];
  const warnings: string[] = [];
  const sync = new SeriesSync({
    transport: browser.transport,
    wsUrl: WS_URL,
    mode,
    warn: (m) => warnings.push(m),
    listener: { onBars: (c) => bars.push(c), onStatus: (s, r) => statuses.push([s, r]) },
  });
  return { ...browser, sync, bars, statuses, warnings };
}

function body(seriesId: string, candles: unknown[]) {
  return { series_id: seriesId, server_head_time: null, candles };
}

function times(sync: SeriesSync): number[] {
  return sync.book.bars().map((c) => c.candle_time);
}

/** A page showing BTC with closed candles at 60, 120, 180, subscribed on an open socket. */
async function ready() {
  const t = start();
  t.sync.switchTo(BTC);
  t.socket().accept();
  t.http.calls[0]!.respond(200, body(BTC, candlesAt([60, 120, 180])));
  await settle();
  expect(t.sync.status).toBe('ready');
  t.bars.length = 0;
  return t;
}

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

describe('merging live frames', () => {
  it('appends a batch and closed candles, shows forming, and lets closed override forming', async () => {
    const t = await ready();
    t.socket().push({ type: 'candles_batch', series_id: BTC, candles: candlesAt([240, 300]) });
    t.socket().push({ type: 'candle_forming', series_id: BTC, candle: candle(360, 50) });
    expect(times(t.sync)).toEqual([60, 120, 180, 240, 300, 360]);
    expect(t.sync.book.last()).toEqual(candle(360, 50));
    expect(t.sync.lastWsCandleTime).toBe(300); // forming is not a closed candle

    t.socket().push({ type: 'candle_closed', series_id: BTC, candle: candle(360, 70) });
    expect(t.sync.book.last()).toEqual(candle(360, 70));
    expect(t.sync.lastWsCandleTime).toBe(360);

    // A forming update for a time already closed is stale: it must not overwrite the closed bar.
    t.socket().push({ type: 'candle_forming', series_id: BTC, candle: candle(360, 99) });
    t.socket().push({ type: 'candle_forming', series_id: BTC, candle: candle(300, 99) });
    expect(t.sync.book.last()).toEqual(candle(360, 70));
    expect(t.sync.book.length).toBe(6);
  });

  it('asks the chart for update() on live ticks and setData() only when history changes', async () => {
    const t = await ready();
    t.socket().push({ type: 'candle_forming', series_id: BTC, candle: candle(240, 1) });
    t.socket().push({ type: 'candle_forming', series_id: BTC, candle: candle(240, 2) });
    t.socket().push({ type: 'candle_closed', series_id: BTC, candle: candle(240, 3) });
    t.socket().push({ type: 'candle_closed', series_id: BTC, candle: candle(120, 4) }); // an older fix
    expect(t.bars.map((c) => c.kind)).toEqual(['tail', 'tail', 'tail', 'bulk']);
    expect(t.bars[0]).toEqual({ kind: 'tail', bars: [candle(240, 1)] });
    expect(times(t.sync)).toEqual([60, 120, 180, 240]);
    expect(t.sync.book.bars()[1]).toEqual(candle(120, 4));
  });

  it('drops malformed frames with a warning instead of throwing', async () => {
    const t = await ready();
    t.socket().push('not json');
    t.socket().push({ type: 'candle_closed', series_id: BTC, candle: { candle_time: 240, open: 'x' } });
    t.socket().push({ type: 'some_future_type', series_id: BTC });
    expect(t.warnings).toHaveLength(2);
    expect(t.sync.book.length).toBe(3);
    expect(t.sync.status).toBe('ready');
  });
});

describe('gap', () => {
  it('makes exactly one refill GET since the last known closed time and inserts the older candles in order', async () => {
    const t = await ready();
    t.socket().push({ type: 'gap', series_id: BTC, expected_next_time: 240, actual_time: 420 });
    t.socket().push({ type: 'candle_closed', series_id: BTC, candle: candle(420) });
    const refills = t.http.candleCalls().slice(1);
    expect(refills).toHaveLength(1);
    expect([refills[0]!.query.get('since'), refills[0]!.query.get('limit')]).toEqual(['180', '5000']);

    refills[0]!.respond(200, body(BTC, candlesAt([240, 300, 360, 420])));
    await settle();
    expect(times(t.sync)).toEqual([60, 120, 180, 240, 300, 360, 420]);
    expect(t.bars.at(-1)).toEqual({ kind: 'bulk' });
    expect(t.http.calls).toHaveLength(2);
    expect(t.sync.status).toBe('ready');
  });

  it('refills a second gap announced during a refill once more, from the earlier time', async () => {
    const t = await ready();
    t.socket().push({ type: 'gap', series_id: BTC, expected_next_time: 240, actual_time: 300 });
    t.socket().push({ type: 'candle_closed', series_id: BTC, candle: candle(300) });
    t.socket().push({ type: 'gap', series_id: BTC, expected_next_time: 360, actual_time: 480 });
    t.socket().push({ type: 'candle_closed', series_id: BTC, candle: candle(480) });
    expect(t.http.calls).toHaveLength(2);
    t.http.calls[1]!.respond(200, body(BTC, candlesAt([240, 300])));
    await settle();
    expect(t.http.calls).toHaveLength(3);
    expect(t.http.calls[2]!.query.get('since')).toBe('300');
    t.http.calls[2]!.respond(200, body(BTC, candlesAt([360, 420, 480])));
    await settle();
    expect(times(t.sync)).toEqual([60, 120, 180, 240, 300, 360, 420, 480]);
    expect(t.http.calls).toHaveLength(3);
  });

  it('retries a failed refill with backoff and says so in the status', async () => {
    const t = await ready();
    t.socket().push({ type: 'gap', series_id: BTC, expected_next_time: 240, actual_time: 300 });
    t.http.calls[1]!.respond(503, { code: 'overloaded', message: 'writer queue full' });
    await settle();
    expect(t.sync.status).toBe('error');
    expect(t.sync.statusReason).toContain('HTTP 503 overloaded: writer queue full');
    t.clock.advance(500);
    expect(t.http.calls).toHaveLength(3);
    expect(t.http.calls[2]!.query.get('since')).toBe('180');
    t.http.calls[2]!.respond(200, body(BTC, candlesAt([240])));
    await settle();
    expect(t.sync.status).toBe('ready');
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

describe('snapshot mode', () => {
  it('makes zero HTTP requests: subscribe with tail_limit, render the snapshot, resubscribe the same way', async () => {
    const t = start('snapshot');
    t.sync.switchTo(BTC);
    t.socket().accept();
    expect(t.socket().sent).toEqual([{ type: 'subscribe', series_id: BTC, tail_limit: 2000, supports_batch: true }]);
    expect(t.sync.status).toBe('loading');

    t.socket().push({
      type: 'snapshot',
      series_id: BTC,
      candles: candlesAt([60, 120, 180]),
      server_head_time: 180,
      forming: candle(240, 7),
    });
    expect(t.sync.status).toBe('ready');
    expect(times(t.sync)).toEqual([60, 120, 180, 240]);
    expect(t.sync.book.last()).toEqual(candle(240, 7));
    expect(t.sync.lastWsCandleTime).toBe(180);

    t.socket().push({ type: 'gap', series_id: BTC, expected_next_time: 240, actual_time: 360 });
    expect(t.socket().sent.at(-1)).toEqual({ type: 'subscribe', series_id: BTC, tail_limit: 2000, supports_batch: true });

    t.socket().drop();
    t.clock.advance(500);
    t.socket().accept();
    expect(t.socket().sent).toEqual([{ type: 'subscribe', series_id: BTC, tail_limit: 2000, supports_batch: true }]);

    t.sync.switchTo(ETH);
    expect(t.socket().sent.slice(-2)).toEqual([
      { type: 'unsubscribe', series_id: BTC },
      { type: 'subscribe', series_id: ETH, tail_limit: 2000, supports_batch: true },
    ]);
    await settle();
    expect(t.http.calls).toEqual([]);
  });
});

describe('errors reach the status line', () => {
  it('shows a capacity refusal for the current series and ignores one for another', async () => {
    const t = await ready();
    t.socket().push({ type: 'error', code: 'capacity', message: 'ondemand_ingest_capacity', series_id: ETH });
    expect(t.sync.status).toBe('ready');
    t.socket().push({ type: 'error', code: 'capacity', message: 'ondemand_ingest_capacity', series_id: BTC });
    expect([t.sync.status, t.sync.statusReason]).toEqual(['error', 'capacity: ondemand_ingest_capacity']);
    expect(t.statuses.at(-1)).toEqual(['error', 'capacity: ondemand_ingest_capacity']);
  });

  it('shows an error about our own frame (no series_id)', async () => {
    const t = await ready();
    t.socket().push({ type: 'error', code: 'bad_request', message: 'invalid since' });
    expect([t.sync.status, t.sync.statusReason]).toEqual(['error', 'bad_request: invalid since']);
  });

  it('stops at a 4xx history answer: error shown, no retry, no subscribe', async () => {
    const t = start();
    t.sync.switchTo(BTC);
    t.socket().accept();
    t.http.calls[0]!.respond(400, { code: 'bad_request', message: 'invalid series_id' });
    await settle();
    expect([t.sync.status, t.sync.statusReason]).toEqual(['error', 'history request failed: HTTP 400 bad_request: invalid series_id']);
    t.clock.advance(60_000);
    expect(t.http.calls).toHaveLength(1);
    expect(t.socket().sent).toEqual([]);
  });

  it('retries a failed history request with backoff, then carries on', async () => {
    const t = start();
    t.http.handler = (call: FetchCall) => call.fail(new TypeError('Failed to fetch'));
    t.sync.switchTo(BTC);
    t.socket().accept();
    await settle();
    expect([t.sync.status, t.sync.statusReason]).toEqual(['error', 'history request failed: network error: Failed to fetch; retrying in 0.5s']);
    t.http.handler = (call) => call.respond(200, body(BTC, candlesAt([60])));
    t.clock.advance(500);
    await settle();
    expect(t.http.calls).toHaveLength(2);
    expect(t.sync.status).toBe('ready');
    expect(t.socket().sent).toEqual([{ type: 'subscribe', series_id: BTC, since: 60, supports_batch: true }]);
  });

  it('rejects an unparseable series_id without any request', () => {
    const t = start();
    t.sync.switchTo('binance:futures:BTC/USDT:1w');
    expect([t.sync.status, t.sync.statusReason]).toEqual(['error', 'invalid series_id']);
    expect(t.http.calls).toEqual([]);
    expect(t.sockets).toEqual([]);
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
