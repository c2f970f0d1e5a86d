import { describe, expect, it } from 'vitest';
import { candle, candlesAt, settle, type FetchCall } from './fake-browser.js';
import { body, BTC, ETH, ready, start, times } from './series-sync-harness.js';

// What reaches a shown series and how the page answers: live frames, gaps (HTTP refill or a new
// snapshot), snapshot mode, and errors, from the server's frames and from failed requests.

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
