import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BinanceRestClient } from '../../../src/exchange/binance/binance-rest.js';
import { fetchLatestClosed } from '../../../src/exchange/binance/latest-klines.js';
import { setLogLevel } from '../../../src/shared/log.js';
import { FakeBinance } from '../../../tools/fake-binance/fake-binance.js';

/**
 * The klines callers read rows through the scanner, or through JSON.parse when a 200 answer is not
 * in Binance's exact layout. A proxy in front of the (paused) fake re-writes its klines answers:
 * `pretty` (the same JSON with whitespace: only the JSON path reads it) must give the same results
 * as the fake's own text; `garbage` and `object` are the bad answers, named as before.
 */
type Rewrite = 'as-is' | 'pretty' | 'garbage' | 'object';

let fake: FakeBinance;
let proxy: Server;
let rewrite: Rewrite = 'as-is';
let rewritten = 0;
const SPOT = 'ethbtc@kline_15m';

beforeAll(async () => {
  setLogLevel('silent');
  fake = await FakeBinance.start({ autoCreate: false, historyDays: 60, generator: { backfillBars: 2500 }, streams: { spot: [SPOT] } });
  fake.pause();
  proxy = createServer((req, res) => {
    void fetch(`${fake.restUrl()}${req.url}`).then(async (upstream) => {
      const text = await upstream.text();
      const body = upstream.status !== 200 ? text : reformat(text);
      if (upstream.status === 200) rewritten++;
      res.writeHead(upstream.status, { 'content-type': 'application/json' }).end(body);
    });
  });
  await new Promise<void>((resolve) => proxy.listen(0, '127.0.0.1', resolve));
});
afterAll(async () => {
  await new Promise((resolve) => proxy.close(resolve));
  await fake.close();
  setLogLevel('info');
});

function reformat(text: string): string {
  if (rewrite === 'pretty') return JSON.stringify(JSON.parse(text), null, 1);
  if (rewrite === 'garbage') return '<html>busy</html>';
  if (rewrite === 'object') return '{"code":0,"msg":"maintenance"}';
  return text;
}

const proxied = () =>
  new BinanceRestClient({ market: 'spot', baseUrl: `http://127.0.0.1:${(proxy.address() as AddressInfo).port}`, exchangeNow: () => fake.now(), maxRetries: 0 });

async function both<T>(run: (client: BinanceRestClient) => Promise<T>): Promise<{ compact: T; pretty: T }> {
  rewrite = 'as-is';
  const compact = await run(proxied());
  rewrite = 'pretty';
  const pretty = await run(proxied());
  return { compact, pretty };
}

describe('klines answers the scanner leaves to JSON.parse', () => {
  it('the gap fill reads a re-formatted answer as the fake sends it', async () => {
    const history = fake.generators.spot.history(SPOT);
    const forming = fake.generators.spot.formingBar(SPOT)!;
    const range = { symbol: 'ETHBTC', interval: '15m', tfSeconds: 900, fromTime: history.at(-1500)!.t / 1000, toTime: forming.t / 1000 + 900 };
    const before = rewritten;
    const { compact, pretty } = await both((client) => client.fetchClosed(range));
    expect(rewritten - before).toBe(4);
    expect(compact).toMatchObject({ ok: true, requests: 2 });
    expect(compact.candles.length).toBe(1500 * 6);
    expect(pretty).toEqual(compact);
  });

  it('the latest closed bars, forming row dropped, read alike', async () => {
    const req = { symbol: 'ETHBTC', interval: '15m', tfSeconds: 900, count: 999, after: null };
    const { compact, pretty } = await both((client) => fetchLatestClosed(client, 'spot', req));
    expect(compact).toMatchObject({ ok: true, requests: 1, currentOpen: fake.generators.spot.formingBar(SPOT)!.t / 1000 });
    expect(Array.from(compact.candles.subarray(-6))).toEqual(
      [fake.generators.spot.history(SPOT).at(-1)!].flatMap((b) => [b.t / 1000, +b.o, +b.h, +b.l, +b.c, +b.v]),
    );
    expect(compact.candles.length).toBe(999 * 6);
    expect(pretty).toEqual(compact);
  });

  it('a 200 answer that is not JSON, or not an array, stops the call with bad_response as before', async () => {
    const range = {
      symbol: 'ETHBTC',
      interval: '15m',
      tfSeconds: 900,
      fromTime: fake.generators.spot.history(SPOT).at(-10)!.t / 1000,
      toTime: fake.now() / 1000,
    };
    const req = { symbol: 'ETHBTC', interval: '15m', tfSeconds: 900, count: 10, after: null };
    rewrite = 'garbage';
    const notJson = { code: 'bad_response', message: '/api/v3/klines response is not JSON', status: 200 };
    expect((await proxied().fetchClosed(range)) as unknown).toMatchObject({ ok: false, error: notJson, requests: 1 });
    expect((await fetchLatestClosed(proxied(), 'spot', req)) as unknown).toMatchObject({ ok: false, error: notJson, requests: 1, currentOpen: null });
    rewrite = 'object';
    const notArray = { code: 'bad_response', message: 'klines response is not an array' };
    expect((await proxied().fetchClosed(range)) as unknown).toMatchObject({ ok: false, error: notArray, requests: 1 });
    expect((await fetchLatestClosed(proxied(), 'spot', req)) as unknown).toMatchObject({ ok: false, error: notArray, requests: 1 });
    rewrite = 'as-is';
  });
});
