import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { candle, http, startTestGateway, type TestGateway } from '../support/gateway-harness.js';
import { captureLogs } from '../support/log-capture.js';

/**
 * CORS like trade_canvas (issue 12) and the cross-site write defence (issue 15 defect 3), against
 * the real gateway over real HTTP.
 */
const S = 'binance:futures:BTC/USDT:1m';
const ALLOWED = 'http://localhost:5173';
const EVIL = 'https://evil.example';
const CLOSED = '/api/market/ingest/candle_closed';

const corsHeaders = (headers: Headers) => [...headers.keys()].filter((k) => k.startsWith('access-control-')).sort();

async function preflight(base: string, path: string, origin: string, requestHeaders = 'content-type, x-trace-id') {
  const res = await fetch(base + path, {
    method: 'OPTIONS',
    headers: { origin, 'access-control-request-method': 'POST', 'access-control-request-headers': requestHeaders },
  });
  return { status: res.status, headers: res.headers, body: await res.text() };
}

async function storedTimes(gw: TestGateway): Promise<number[]> {
  const read = await http(gw.url, 'GET', `/api/market/candles?series_id=${encodeURIComponent(S)}`);
  return read.body.candles.map((c: { candle_time: number }) => c.candle_time);
}

describe('CORS and cross-site writes', () => {
  let gw: TestGateway;
  beforeAll(async () => {
    gw = await startTestGateway(); // default allow-list: trade_canvas's dev frontend
  });
  afterAll(async () => {
    await gw.dispose();
  });

  describe('preflight (OPTIONS + Origin + Access-Control-Request-Method), answered before routing', () => {
    for (const path of ['/api/market/candles', CLOSED, '/api/market/no_such_route', '/anything/at/all']) {
      it(`allowed origin, ${path}: 204, credentials allowed, requested headers echoed`, async () => {
        const res = await preflight(gw.url, path, ALLOWED);
        expect(res.status).toBe(204);
        expect(res.headers.get('access-control-allow-origin')).toBe(ALLOWED);
        expect(res.headers.get('access-control-allow-credentials')).toBe('true');
        expect(res.headers.get('access-control-allow-headers')).toBe('content-type, x-trace-id');
        expect(res.headers.get('access-control-allow-methods')).toBe('GET, POST, OPTIONS');
        expect(res.headers.get('access-control-max-age')).toBe('600');
        expect(res.headers.get('vary')).toBe('Origin');
      });

      it(`disallowed origin, ${path}: 403 origin_not_allowed and no CORS header`, async () => {
        const res = await preflight(gw.url, path, EVIL);
        expect(res.status).toBe(403);
        expect(JSON.parse(res.body)).toEqual({ code: 'origin_not_allowed', message: `origin ${EVIL} is not allowed (TRADE_CANVAS_CORS_ORIGINS)` });
        expect(corsHeaders(res.headers)).toEqual([]);
      });
    }
  });

  it('simple requests: an allowed origin sees the real answer (404 included), a disallowed one gets no CORS header', async () => {
    const ok = await http(gw.url, 'GET', `/api/market/candles?series_id=${encodeURIComponent(S)}`, undefined, { origin: ALLOWED });
    expect(ok.status).toBe(200);
    expect(ok.headers.get('access-control-allow-origin')).toBe(ALLOWED);
    expect(ok.headers.get('access-control-allow-credentials')).toBe('true');
    const missing = await http(gw.url, 'GET', '/api/market/nope', undefined, { origin: ALLOWED });
    expect(missing.status).toBe(404);
    expect(missing.headers.get('access-control-allow-origin')).toBe(ALLOWED);
    const other = await http(gw.url, 'GET', `/api/market/candles?series_id=${encodeURIComponent(S)}`, undefined, { origin: EVIL });
    expect(other.status).toBe(200);
    expect(corsHeaders(other.headers)).toEqual([]);
  });

  it('a plain HTML form from another site (text/plain, its Origin) cannot write', async () => {
    const form = await fetch(gw.url + CLOSED, {
      method: 'POST',
      headers: { origin: EVIL, 'content-type': 'text/plain' },
      body: JSON.stringify({ series_id: S, candle: candle(60) }),
    });
    expect(form.status).toBe(403);
    expect(await form.json()).toMatchObject({ code: 'origin_not_allowed' });
    // Even with the right content type, another site's Origin may not write.
    const script = await http(gw.url, 'POST', CLOSED, { series_id: S, candle: candle(60) }, { origin: EVIL });
    expect(script.status).toBe(403);
    expect(await storedTimes(gw)).toEqual([]);
  });

  it('JSON routes need content-type application/json: 415 otherwise, whoever sends it', async () => {
    const body = JSON.stringify({ series_id: S, candle: candle(60) });
    for (const type of ['text/plain', 'application/x-www-form-urlencoded', 'multipart/form-data; boundary=x', '']) {
      const res = await fetch(gw.url + CLOSED, { method: 'POST', headers: type ? { 'content-type': type } : {}, body });
      expect(res.status, type).toBe(415);
      expect(await res.json()).toEqual({
        code: 'unsupported_media_type',
        message: `content-type must be application/json, got ${type === '' ? 'text/plain' : type.split(';')[0]}`,
      });
    }
    expect(await storedTimes(gw)).toEqual([]);
    const charset = await fetch(gw.url + CLOSED, { method: 'POST', headers: { 'content-type': 'Application/JSON; charset=utf-8' }, body });
    expect(charset.status).toBe(200);
    expect(await storedTimes(gw)).toEqual([60]);
  });

  it('writes from an allowed origin, from the gateway itself, and from clients without Origin go through', async () => {
    expect((await http(gw.url, 'POST', CLOSED, { series_id: S, candle: candle(120) }, { origin: ALLOWED })).status).toBe(200);
    expect((await http(gw.url, 'POST', CLOSED, { series_id: S, candle: candle(180) }, { origin: gw.url })).status).toBe(200);
    expect((await http(gw.url, 'POST', CLOSED, { series_id: S, candle: candle(240) })).status).toBe(200);
    expect(await storedTimes(gw)).toEqual([60, 120, 180, 240]);
  });
});

describe('CORS allow-list `*`', () => {
  it('every origin is allowed and echoed (credentials forbid a literal *), writes included', async () => {
    const gw = await startTestGateway({ corsOrigins: '*' });
    try {
      const res = await preflight(gw.url, '/x', EVIL, 'authorization');
      expect(res.status).toBe(204);
      expect(res.headers.get('access-control-allow-origin')).toBe(EVIL);
      expect(res.headers.get('access-control-allow-headers')).toBe('authorization');
      expect((await http(gw.url, 'POST', CLOSED, { series_id: S, candle: candle(60) }, { origin: EVIL })).status).toBe(200);
    } finally {
      await gw.dispose();
    }
  });
});

describe('start-up warning for open writes', () => {
  const warning = 'write routes are open without a token on a non-loopback address; set TRADE_CANVAS_API_TOKEN';

  it('no token on 0.0.0.0: one warning naming the write routes', async () => {
    const logs = captureLogs('warn');
    const gw = await startTestGateway({ host: '0.0.0.0' });
    await gw.dispose();
    const lines = logs.filter((l) => l.msg === warning);
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatchObject({ level: 'warn', component: 'gateway', host: '0.0.0.0' });
    expect(lines[0]!.routes).toEqual(expect.arrayContaining([`POST ${CLOSED}`, 'POST /api/dev/market/ingest/candles_closed_batch']));
  });

  it('none with a token, and none on loopback', async () => {
    const logs = captureLogs('warn');
    for (const overrides of [{ host: '0.0.0.0', apiToken: 't' }, { host: '127.0.0.1' }]) {
      const gw = await startTestGateway(overrides);
      await gw.dispose();
    }
    expect(logs.filter((l) => l.msg === warning)).toEqual([]);
  });
});
