import { WebSocket } from 'undici';
import { afterEach, describe, expect, it } from 'vitest';
import { FakeBinance } from '../../../tools/fake-binance/fake-binance.js';
import { waitFor } from '../../support/wait.js';

/**
 * The fake exchange as a coherent market, over real sockets: its 5m bars are the aggregates of its
 * 1m bars (REST and live), REST history runs into the live stream without a hole or an overlap,
 * answers do not depend on what was asked before, and bad requests get Binance's errors. The
 * clock is the fake's virtual one, paused and moved on by the test (advance), never the wall's.
 */

/** 10:30:07 UTC: not on a minute boundary, so forming updates fall inside minutes. */
const START = Date.UTC(2026, 0, 14, 10, 30, 7);
const DAY = 86_400_000;
type Row = [number, string, string, string, string, string, number, string, number, string, string, string];
interface Kline {
  t: number;
  T: number;
  o: string;
  h: string;
  l: string;
  c: string;
  v: string;
  n: number;
  x: boolean;
  i: string;
  E: number;
}

let fake: FakeBinance | undefined;
afterEach(async () => {
  await fake?.close();
  fake = undefined;
});

async function startPaused(options: Parameters<typeof FakeBinance.start>[0] = {}): Promise<FakeBinance> {
  fake = await FakeBinance.start({ startTimeMs: START, ...options });
  fake.pause();
  return fake;
}

async function get(path: string): Promise<{ status: number; body: any }> {
  const res = await fetch(`${fake!.restUrl()}${path}`);
  return { status: res.status, body: await res.json() };
}

/** Every row of a range, paged like a client would at the market's limit. */
async function rows(market: 'spot' | 'futures', query: string, startTime: number, endTime: number): Promise<Row[]> {
  const path = market === 'spot' ? '/api/v3/klines' : '/fapi/v1/klines';
  const limit = market === 'spot' ? 1000 : 1500;
  const out: Row[] = [];
  for (let from = startTime; ;) {
    const page = (await get(`${path}?${query}&startTime=${from}&endTime=${endTime}&limit=${limit}`)).body as Row[];
    out.push(...page);
    if (page.length < limit) return out;
    from = page.at(-1)![6] + 1;
  }
}

const units = (v: string) => Math.round(Number(v) * 1000);
/** Binance's way of making one bar of several: first open, last close, extremes, sums. */
function aggregate(parts: ReadonlyArray<{ o: string; h: string; l: string; c: string; v: string; n: number }>) {
  return {
    o: parts[0]!.o,
    h: Math.max(...parts.map((p) => Number(p.h))),
    l: Math.min(...parts.map((p) => Number(p.l))),
    c: parts.at(-1)!.c,
    v: parts.reduce((s, p) => s + units(p.v), 0),
    n: parts.reduce((s, p) => s + p.n, 0),
  };
}
const asBar = (r: Row) => ({ t: r[0], o: r[1], h: r[2], l: r[3], c: r[4], v: r[5], T: r[6], n: r[8] });
const summary = (b: { o: string; h: string; l: string; c: string; v: string; n: number }) => ({
  o: b.o,
  h: Number(b.h),
  l: Number(b.l),
  c: b.c,
  v: units(b.v),
  n: b.n,
});

/** A combined-stream client collecting kline events. */
async function subscribe(market: 'spot' | 'futures', streams: string[]): Promise<{ ws: WebSocket; klines: Kline[] }> {
  const ws = new WebSocket(`${fake!.wsUrl(market)}/stream?streams=${streams.join('/')}`);
  const klines: Kline[] = [];
  ws.addEventListener('message', (ev) => {
    const { data } = JSON.parse(String(ev.data)) as { data: { E: number; k: Omit<Kline, 'E'> } };
    klines.push({ ...data.k, E: data.E });
  });
  await new Promise((resolve, reject) => {
    ws.addEventListener('open', resolve);
    ws.addEventListener('error', () => reject(new Error('cannot connect')));
  });
  await waitFor(() => fake!.connectionStats().some((c) => c.open && c.streams.length === streams.length), 'the subscription');
  return { ws, klines };
}

/** Moves the paused fake on, a forming update every `stepMs`, and waits until the client has every frame it was sent. */
async function advance(client: { klines: Kline[] }, ms: number, stepMs: number): Promise<number> {
  const sentBefore = fake!.connectionStats().at(-1)!.framesSent;
  let now = fake!.now();
  for (let moved = 0; moved < ms; moved += stepMs) now = fake!.advance(stepMs);
  const sent = fake!.connectionStats().at(-1)!.framesSent;
  await waitFor(() => client.klines.length >= sent, `${sent - sentBefore} frames`, 20_000);
  return now;
}

describe('fake exchange: one price path per symbol', () => {
  it('REST: the 5m bars of a day are the aggregates of its 1m bars, on spot and futures, and the markets differ', async () => {
    await startPaused();
    const day = Math.floor(START / DAY) * DAY - 2 * DAY;
    const closes: string[] = [];
    for (const market of ['spot', 'futures'] as const) {
      const ones = (await rows(market, 'symbol=BTCUSDT&interval=1m', day, day + DAY - 1)).map(asBar);
      const fives = (await rows(market, 'symbol=BTCUSDT&interval=5m', day, day + DAY - 1)).map(asBar);
      expect([ones.length, fives.length]).toEqual([1440, 288]);
      for (const b of fives) expect(summary(b)).toEqual(aggregate(ones.filter((o) => o.t >= b.t && o.t <= b.T)));
      closes.push(fives.at(-1)!.c);
    }
    expect(closes[0]).not.toBe(closes[1]);
  });

  it('live: each closed 5m frame aggregates the closed 1m frames, each forming 5m frame the 1m frames up to it', async () => {
    await startPaused({ tickMs: 250 });
    const client = await subscribe('spot', ['btcusdt@kline_1m', 'btcusdt@kline_5m']);
    await advance(client, 16 * 60_000, 5_000);
    const ones = client.klines.filter((k) => k.i === '1m');
    const closedOnes = ones.filter((k) => k.x);
    const fives = client.klines.filter((k) => k.i === '5m');
    // The streams started mid-bar: check the 5m bars whose every minute was streamed.
    const covered = (t: number, until: number) => closedOnes.some((o) => o.t === t) && closedOnes.some((o) => o.t === until - 60_000);
    const closedFives = fives.filter((f) => f.x && covered(f.t, f.T + 1));
    expect(closedFives.length).toBeGreaterThanOrEqual(2);
    for (const f of closedFives) expect(summary(f)).toEqual(aggregate(closedOnes.filter((o) => o.t >= f.t && o.t <= f.T)));
    let checked = 0;
    for (const f of fives.filter((k) => !k.x)) {
      const minute = Math.floor(f.E / 60_000) * 60_000;
      const formingOne = ones.find((o) => !o.x && o.E === f.E && o.t === minute);
      if (!formingOne || (minute > f.t && !covered(f.t, minute))) continue;
      expect(summary(f)).toEqual(aggregate([...closedOnes.filter((o) => o.t >= f.t && o.t < minute), formingOne]));
      checked++;
    }
    expect(checked).toBeGreaterThan(100);
    client.ws.close();
  });

  it('REST history runs into the live stream: no hole, no overlap, the same values, the forming bar included', async () => {
    await startPaused({ tickMs: 250 });
    const client = await subscribe('futures', ['ethusdt@kline_1m', 'ethusdt@kline_15m']);
    const now = await advance(client, 35 * 60_000, 7_000);
    for (const interval of ['1m', '15m']) {
      const live = client.klines.filter((k) => k.i === interval);
      const closed = live.filter((k) => k.x);
      expect(closed.length).toBeGreaterThanOrEqual(interval === '1m' ? 34 : 2);
      const first = closed[0]!;
      // History up to the first live bar: it ends right before it, and its last close is its open.
      const before = (await get(`/fapi/v1/klines?symbol=ETHUSDT&interval=${interval}&endTime=${first.t - 1}&limit=1500`)).body as Row[];
      expect(before).toHaveLength(1500);
      expect(before.at(-1)![6] + 1).toBe(first.t);
      expect(before.at(-1)![4]).toBe(first.o);
      // From the first live bar on: one row per bar, equal to its closed frame, then the forming bar.
      const after = ((await get(`/fapi/v1/klines?symbol=ETHUSDT&interval=${interval}&startTime=${first.t}&limit=1500`)).body as Row[]).map(asBar);
      expect(after.slice(0, -1).map((b) => [b.t, b.T, b.o, b.h, b.l, b.c, b.v, b.n])).toEqual(closed.map((k) => [k.t, k.T, k.o, k.h, k.l, k.c, k.v, k.n]));
      const forming = after.at(-1)!;
      expect(forming.T).toBeGreaterThanOrEqual(now);
      const lastFrame = live.at(-1)!;
      expect([lastFrame.E, lastFrame.x]).toEqual([now, false]);
      expect(forming).toEqual({
        t: lastFrame.t,
        T: lastFrame.T,
        o: lastFrame.o,
        h: lastFrame.h,
        l: lastFrame.l,
        c: lastFrame.c,
        v: lastFrame.v,
        n: lastFrame.n,
      });
    }
    client.ws.close();
  });

  it('the same request gives the same rows whatever was asked before; the same seed and start give the same market', async () => {
    const query = `/api/v3/klines?symbol=ETHUSDT&interval=1h&endTime=${START - 1}&limit=500`;
    const other = await startPaused({ generator: { seed: 9 } });
    const direct = (await get(query)).body as Row[];
    await other.close();
    await startPaused({ generator: { seed: 9 }, historyDays: 30 });
    // Deep history of other symbols and intervals first, more than the day cache holds.
    for (const symbol of ['BTCUSDT', 'SOLUSDT', 'XRPUSDT']) await get(`/api/v3/klines?symbol=${symbol}&interval=1d&limit=1000`);
    await get(`/api/v3/klines?symbol=ETHUSDT&interval=1m&startTime=${START - 29 * DAY}&limit=1000`);
    const late = (await get(query)).body as Row[];
    expect(late).toHaveLength(500);
    expect(late).toEqual(direct);
    const forming = (await get('/api/v3/klines?symbol=ETHUSDT&interval=1h&limit=3')).body as Row[];
    expect((await get('/api/v3/klines?symbol=ETHUSDT&interval=1h&limit=3')).body).toEqual(forming);
  });
});

describe('fake exchange: Binance REST semantics', () => {
  it('answers bad requests with Binance codes (HTTP 400) and keeps serving', async () => {
    await startPaused({ symbols: { spot: ['BTCUSDT', 'ETHUSDT'] } });
    const cases: [string, number, string][] = [
      ['/api/v3/klines?symbol=DOGEUSDT&interval=1m', -1121, 'Invalid symbol.'],
      ['/api/v3/klines?symbol=BTCUSDT&interval=7m', -1120, 'Invalid interval.'],
      ['/fapi/v1/klines?symbol=BTCUSDT&interval=1s', -1120, 'Invalid interval.'],
      ['/api/v3/klines?symbol=btcusdt&interval=1m', -1100, "Illegal characters found in parameter 'symbol'; legal range is '^[A-Z0-9-_.]{1,20}$'."],
      ['/api/v3/klines?interval=1m', -1102, 'Mandatory parameter was not sent, was empty/null, or malformed.'],
      ['/api/v3/klines?symbol=BTCUSDT&interval=1m&limit=1001', -1130, "Data sent for parameter 'limit' is not valid."],
      ['/fapi/v1/klines?symbol=BTCUSDT&interval=1m&limit=1501', -1130, "Data sent for parameter 'limit' is not valid."],
      [
        '/api/v3/klines?symbol=BTCUSDT&interval=1m&startTime=yesterday',
        -1100,
        "Illegal characters found in parameter 'startTime'; legal range is '^[0-9]{1,20}$'.",
      ],
    ];
    for (const [path, code, msg] of cases) expect(await get(path), path).toEqual({ status: 400, body: { code, msg } });
    // Futures list any symbol (no `symbols` for that market); spot's 1s klines exist.
    expect((await get('/fapi/v1/klines?symbol=DOGEUSDT&interval=1m&limit=2')).status).toBe(200);
    expect((await get('/api/v3/klines?symbol=BTCUSDT&interval=1s&limit=2')).body).toHaveLength(2);
  });

  it('without times: the newest rows, 500 by default, the last one the still-open bar; with them: Binance selection', async () => {
    await startPaused({ historyDays: 2 });
    const now = fake!.now();
    const newest = (await get('/fapi/v1/klines?symbol=BTCUSDT&interval=1m')).body as Row[];
    expect(newest).toHaveLength(500);
    expect(newest.at(-1)![0]).toBe(Math.floor(now / 60_000) * 60_000);
    expect(newest.at(-1)![6]).toBeGreaterThanOrEqual(now);
    newest.slice(1).forEach((r, i) => expect(r[0]).toBe(newest[i]![0] + 60_000));
    const t = newest[100]![0];
    expect(((await get(`/fapi/v1/klines?symbol=BTCUSDT&interval=1m&startTime=${t - 1}&limit=3`)).body as Row[]).map((r) => r[0])).toEqual([
      t,
      t + 60_000,
      t + 120_000,
    ]);
    expect(((await get(`/fapi/v1/klines?symbol=BTCUSDT&interval=1m&endTime=${t}&limit=2`)).body as Row[]).map((r) => r[0])).toEqual([t - 60_000, t]);
    // History starts historyDays before 00:00 UTC of the start day: nothing before it.
    const first = Math.floor(START / DAY) * DAY - 2 * DAY;
    expect(fake!.generators.futures.historyStartMs()).toBe(first);
    expect((await get(`/fapi/v1/klines?symbol=BTCUSDT&interval=1h&startTime=0&limit=1`)).body[0][0]).toBe(first);
    expect((await get(`/fapi/v1/klines?symbol=BTCUSDT&interval=1h&endTime=${first - 1}`)).body).toEqual([]);
    expect((await get('/fapi/v1/klines?symbol=BTCUSDT&interval=1d&limit=1000')).body).toHaveLength(3);
  });
});
