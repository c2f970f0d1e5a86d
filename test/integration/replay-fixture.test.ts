import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { parseKlineFrame } from '../../src/domain/binance-kline.js';
import { FakeBinance } from '../../tools/fake-binance/fake-binance.js';
import { http, startTestGateway, type TestGateway } from '../support/gateway-harness.js';

const FIXTURE = new URL('../../fixtures/binance/futures-klines-sample.jsonl', import.meta.url).pathname;
const SERIES = ['BTC', 'ETH', 'SOL'].map((s) => `binance:futures:${s}/USDT:1m`);

describe('replaying the repo-owned recording through the fake exchange', () => {
  let fake: FakeBinance | null = null;
  let gw: TestGateway | null = null;
  afterEach(async () => {
    await gw?.dispose();
    await fake?.close();
  });

  it('stores exactly the recorded closed candles, values included', async () => {
    // What the recording says: the closed bars, as our parser reads them.
    const expected = new Map<string, unknown[]>();
    for (const line of readFileSync(FIXTURE, 'utf8').split('\n')) {
      const ev = line ? parseKlineFrame(line) : null;
      if (ev?.ok && ev.closed) {
        const id = `binance:futures:${ev.symbol.replace('USDT', '')}/USDT:1m`;
        expected.set(id, [...(expected.get(id) ?? []), ev.candle]);
      }
    }
    expect([...expected.keys()].sort()).toEqual([...SERIES].sort());

    // 30× keeps the first close ~2 s in: the gateway subscribes before it (a job ingests from the bar
    // before the first one it sees; older history is the freqtrade bootstrap's job).
    fake = await FakeBinance.start({ replay: { file: FIXTURE, speed: 30, market: 'futures' } });
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
    for (const id of SERIES) {
      const want = expected.get(id)!;
      await expect
        .poll(async () => (await http(gw!.url, 'GET', `/api/market/candles?series_id=${encodeURIComponent(id)}&limit=100`)).body.candles, {
          timeout: 30_000,
          interval: 250,
        })
        .toEqual(want);
    }
  }, 60_000);
});
