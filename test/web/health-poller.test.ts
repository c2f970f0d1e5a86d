import { describe, expect, it } from 'vitest';
import { HEALTH_POLL_MS, HealthPoller, NUDGE_DELAY_MS } from '../../web/sync/health-poller.js';
import { formatDuration, healthViewOf, type HealthView } from '../../web/sync/health-view.js';
import { fakeBrowser, settle } from './fake-browser.js';

/** The page's health lamp logic, with in-memory fetch and timers (the browser APIs, not our code). */
const S = 'binance:futures:BTC/USDT:1m';
const payload = (status: string, status_reason: string, extra: Record<string, unknown> = {}) => ({
  series_id: S,
  status,
  status_reason,
  missing_seconds: 120,
  missing_candles: 2,
  lag_seconds: 180,
  backfill: { state: 'idle', progress_pct: 100, error: null },
  ...extra,
});

function setup() {
  const browser = fakeBrowser();
  const views: HealthView[] = [];
  const poller = new HealthPoller(browser.transport, (v) => views.push(v));
  return { ...browser, poller, views, healthCalls: () => browser.http.calls.filter((c) => c.url.startsWith('/api/market/health?')) };
}

describe('health lamp view', () => {
  it("trade_canvas's tones with a short label and the reason for the hover", () => {
    expect(healthViewOf(payload('green', 'up_to_date'))).toEqual({
      tone: 'green',
      label: 'Up to date',
      reason: 'up_to_date: the newest closed candle is stored; 2 candle(s) missing',
    });
    expect(healthViewOf(payload('yellow', 'backfill_running', { backfill: { progress_pct: 41.6, error: null } })).label).toBe('Backfill 42% · 2m missing');
    expect(healthViewOf(payload('yellow', 'backfill_recent')).label).toBe('Backfilled · 2m missing');
    expect(healthViewOf(payload('red', 'missing_head', { missing_seconds: null, lag_seconds: null, missing_candles: null })).label).toBe('No data');
    const red = healthViewOf(payload('red', 'lagging_no_recent_backfill', { backfill: { error: 'http: HTTP 500' } }));
    expect(red).toEqual({
      tone: 'red',
      label: 'Lagging · 2m missing',
      reason: 'lagging_no_recent_backfill: candles are missing and no backfill ran recently; 2 candle(s) missing; backfill error: http: HTTP 500',
    });
    expect(healthViewOf('junk').tone).toBe('gray');
    expect([formatDuration(45), formatDuration(90), formatDuration(7500), formatDuration(200_000)]).toEqual(['45s', '1m 30s', '2h 5m', '2d 7h']);
  });
});

describe('HealthPoller', () => {
  it('asks at once, then every 5 s while green and every 2 s otherwise', async () => {
    const t = setup();
    t.poller.watch(S);
    t.clock.advance(0);
    expect(t.healthCalls().map((c) => c.query.get('series_id'))).toEqual([S]);
    t.healthCalls()[0]!.respond(200, payload('red', 'lagging_no_recent_backfill'));
    await settle();
    expect(t.views.at(-1)!.tone).toBe('red');
    expect(t.clock.pending()).toEqual([HEALTH_POLL_MS.other]);
    t.clock.advance(HEALTH_POLL_MS.other);
    t.healthCalls()[1]!.respond(200, payload('green', 'up_to_date'));
    await settle();
    expect(t.clock.pending()).toEqual([HEALTH_POLL_MS.green]);
  });

  it('a closed candle nudges it: it asks again shortly, also when a request is in flight', async () => {
    const t = setup();
    t.poller.watch(S);
    t.clock.advance(0);
    t.healthCalls()[0]!.respond(200, payload('green', 'up_to_date'));
    await settle();
    t.poller.nudge();
    expect(t.clock.pending()).toEqual([NUDGE_DELAY_MS]);
    t.clock.advance(NUDGE_DELAY_MS);
    expect(t.healthCalls()).toHaveLength(2);
    t.poller.nudge(); // during the request
    t.clock.advance(NUDGE_DELAY_MS);
    expect(t.healthCalls()).toHaveLength(2);
    t.healthCalls()[1]!.respond(200, payload('green', 'up_to_date'));
    await settle();
    t.clock.advance(0);
    expect(t.healthCalls()).toHaveLength(3);
  });

  it('404 (gated off): gray with the setting to turn it on, and no more polling', async () => {
    const t = setup();
    t.poller.watch(S);
    t.clock.advance(0);
    t.healthCalls()[0]!.respond(404, { code: 'not_found', message: 'no route GET /api/market/health' });
    await settle();
    expect(t.views.at(-1)).toMatchObject({ tone: 'gray', label: 'Health off', reason: expect.stringContaining('TRADE_CANVAS_ENABLE_KLINE_HEALTH_V2=1') });
    t.poller.nudge();
    expect(t.clock.pending()).toEqual([]);
  });

  it('an answer for a series left meanwhile is dropped', async () => {
    const t = setup();
    t.poller.watch(S);
    t.clock.advance(0);
    t.poller.watch('binance:spot:ETH/USDT:1m');
    t.clock.advance(0);
    t.healthCalls()[0]!.respond(200, payload('red', 'missing_head'));
    await settle();
    expect(t.views).toEqual([]);
    t.healthCalls()[1]!.respond(200, payload('green', 'up_to_date'));
    await settle();
    expect(t.views.map((v) => v.tone)).toEqual(['green']);
  });
});
