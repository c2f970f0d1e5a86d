import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { parseKlineFrame } from '../../src/domain/binance-kline.js';
import type { Candle } from '../../src/domain/candle.js';
import { FakeBinance } from '../../tools/fake-binance/fake-binance.js';
import { http, startTestGateway, type TestGateway } from '../support/gateway-harness.js';

const FIXTURE = new URL('../../fixtures/binance/futures-klines-sample.jsonl', import.meta.url).pathname;
const SERIES = ['BTC', 'ETH', 'SOL'].map((s) => `binance:futures:${s}/USDT:1m`);
const STREAMS = ['btcusdt@kline_1m', 'ethusdt@kline_1m', 'solusdt@kline_1m'];
const BAR_MS = 60_000;
/** The recording has a forming update of every stream every 2 s. */
const STEP_MS = 2_000;

interface ClosedBar {
  readonly candle: Candle;
  /** Event time of the frame that closed it. */
  readonly atMs: number;
}

/** What the recording says: the closed bars per series, as our parser reads them, and its time span. */
function recorded(): { closed: Map<string, ClosedBar[]>; firstMs: number; lastMs: number } {
  const closed = new Map<string, ClosedBar[]>();
  let firstMs = Infinity;
  let lastMs = -Infinity;
  for (const line of readFileSync(FIXTURE, 'utf8').split('\n')) {
    const ev = line ? parseKlineFrame(line) : null;
    if (!ev?.ok) continue;
    firstMs = Math.min(firstMs, ev.eventTimeMs);
    lastMs = Math.max(lastMs, ev.eventTimeMs);
    if (!ev.closed) continue;
    const id = `binance:futures:${ev.symbol.replace('USDT', '')}/USDT:1m`;
    closed.set(id, [...(closed.get(id) ?? []), { candle: ev.candle, atMs: ev.eventTimeMs }]);
  }
  return { closed, firstMs, lastMs };
}

describe('replaying the repo-owned recording through the fake exchange', () => {
  let fake: FakeBinance | null = null;
  let gw: TestGateway | null = null;
  afterEach(async () => {
    await gw?.dispose();
    await fake?.close();
  });

  it('stores exactly the recorded closed candles, values included', async () => {
    const { closed: expected, firstMs, lastMs } = recorded();
    expect([...expected.keys()].sort()).toEqual([...SERIES].sort());

    // The fake's clock is the test's: it stands at the recording's first frame, and nothing is
    // sent until the test advances it, so the gateway cannot miss the start however slowly it boots.
    fake = await FakeBinance.start({ paused: true, replay: { file: FIXTURE, market: 'futures' } });
    expect(fake.now()).toBe(firstMs);
    const dir = mkdtempSync(join(tmpdir(), 'kline-replay-'));
    writeFileSync(join(dir, 'whitelist.json'), JSON.stringify({ series_ids: SERIES }));
    gw = await startTestGateway(
      {
        whitelistPath: join(dir, 'whitelist.json'),
        enableWhitelistIngest: true,
        binanceFuturesWsUrl: fake.wsUrl('futures'),
        binanceFuturesRestUrl: fake.restUrl(),
      },
      {},
      dir,
    );
    await fake.subscribed('futures', STREAMS);

    const stored = async (id: string) => (await http(gw!.url, 'GET', `/api/market/candles?series_id=${encodeURIComponent(id)}&limit=100`)).body.candles;
    const closedBy = (ms: number, id: string) =>
      expected
        .get(id)!
        .filter((c) => c.atMs <= ms)
        .map((c) => c.candle);
    // One bar at a time: play its frames (2 s of exchange time per step), then wait until the
    // gateway has stored every bar closed so far before the exchange moves on.
    for (let barEnd = firstMs + BAR_MS; barEnd - BAR_MS <= lastMs; barEnd += BAR_MS) {
      while (fake.now() < barEnd) fake.advance(STEP_MS);
      for (const id of SERIES) await expect.poll(() => stored(id), { timeout: 20_000, interval: 50 }).toEqual(closedBy(fake.now(), id));
    }
    expect(fake.now()).toBeGreaterThanOrEqual(lastMs); // the whole recording was played
    for (const id of SERIES) expect(await stored(id)).toEqual(closedBy(Infinity, id));
  }, 90_000);
});
