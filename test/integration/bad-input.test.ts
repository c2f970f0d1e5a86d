import { connect } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { candle, http, postClosed, startTestGateway, WsClient, type TestGateway } from '../support/gateway-harness.js';
import { pick, seededRandom } from '../support/seeded-random.js';

const S = 'binance:futures:BTC/USDT:1m';
const err = (message: string) => ({ type: 'error', code: 'bad_request', message });

describe('bad input never hurts the gateway', () => {
  let gw: TestGateway;
  beforeAll(async () => {
    gw = await startTestGateway({ wsMaxSubscriptions: 3, maxBodyBytes: 64 * 1024 });
    await postClosed(gw.url, S, candle(60));
  });
  afterAll(async () => {
    await gw.dispose();
  });

  describe('WebSocket (contract §3), exact messages, socket stays open', () => {
    const cases: Array<[string, unknown, unknown]> = [
      ['not an object', ['bad-envelope'], err('invalid message envelope')],
      ['a JSON string', 'just text', err('invalid message envelope')],
      ['no type', { series_id: S }, err('missing message type')],
      ['empty type', { type: '' }, err('missing message type')],
      ['unknown type', { type: 'noop' }, err('unknown message type: noop')],
      ['subscribe without series_id', { type: 'subscribe' }, err('missing series_id')],
      ['unsubscribe without series_id', { type: 'unsubscribe' }, err('missing series_id')],
      ['string since', { type: 'subscribe', series_id: S, since: '100' }, err('invalid since')],
      ['fractional since', { type: 'subscribe', series_id: S, since: 1.5 }, err('invalid since')],
      ['string supports_batch', { type: 'subscribe', series_id: S, supports_batch: '1' }, err('invalid supports_batch')],
      ['unparseable series_id', { type: 'subscribe', series_id: 'binance:BTC' }, err('invalid series_id')],
      ['bad timeframe', { type: 'subscribe', series_id: 'binance:spot:BTC/USDT:1w' }, err('invalid series_id')],
      ['tail_limit too big', { type: 'subscribe', series_id: S, tail_limit: 5001 }, err('invalid tail_limit')],
    ];
    for (const [name, message, expected] of cases) {
      it(name, async () => {
        const ws = await WsClient.connect(gw);
        ws.send(typeof message === 'string' ? JSON.stringify(message) : message);
        expect(await ws.next()).toEqual([expected]);
        // Still open and serving.
        ws.send({ type: 'subscribe', series_id: S, since: 0 });
        expect((await ws.next())[0]).toMatchObject({ type: 'candle_closed' });
        ws.close();
      });
    }

    it('non-JSON text and binary junk → bad_request', async () => {
      const ws = await WsClient.connect(gw);
      ws.sendRaw('{not json');
      expect(await ws.next()).toEqual([err('invalid json')]);
      ws.sendRaw(new Uint8Array([0xc1, 0xff, 0x00, 0x13, 0x37]));
      expect((await ws.next())[0]).toMatchObject({ type: 'error', code: 'bad_request' });
      ws.close();
    });

    it('more subscriptions than the per-socket limit → bad_request, existing ones keep working', async () => {
      const ws = await WsClient.connect(gw);
      for (const sym of ['A', 'B', 'C']) ws.send({ type: 'subscribe', series_id: `binance:spot:${sym}/USDT:1m` });
      ws.send({ type: 'subscribe', series_id: 'binance:spot:D/USDT:1m' });
      expect(await ws.next()).toEqual([err('subscription limit reached (3 per connection)')]);
      await postClosed(gw.url, 'binance:spot:A/USDT:1m', candle(60));
      expect((await ws.next())[0]).toMatchObject({ type: 'candle_closed', series_id: 'binance:spot:A/USDT:1m' });
      ws.close();
    });

    it('a 1 MiB frame closes that socket with 1009; others are unaffected', async () => {
      const bystander = await WsClient.connect(gw);
      bystander.send({ type: 'subscribe', series_id: S, since: 60 });
      const ws = await WsClient.connect(gw);
      ws.sendRaw('x'.repeat(1024 * 1024));
      expect((await ws.closed()).code).toBe(1009);
      await postClosed(gw.url, S, candle(120));
      expect((await bystander.next())[0]).toMatchObject({ type: 'candle_closed', candle: { candle_time: 120 } });
      bystander.close();
    });

    it('10,000 seeded random frames: every one is answered, the socket stays open', async () => {
      const rand = seededRandom(20261122);
      const ws = await WsClient.connect(gw);
      const frames = Array.from({ length: 10_000 }, () => randomInvalidFrame(rand));
      for (const f of frames) ws.sendRaw(f);
      const answers = await ws.next(10_000, 30_000);
      expect(answers.every((m) => m.type === 'error' && m.code === 'bad_request' && typeof m.message === 'string')).toBe(true);
      ws.send({ type: 'subscribe', series_id: S, since: 0, supports_batch: true });
      expect((await ws.next())[0]).toMatchObject({ type: 'candles_batch' });
      expect(ws.closeEvent).toBeNull();
      ws.close();
    }, 60_000);
  });

  describe('HTTP (contract §2)', () => {
    const get = (query: string) => http(gw.url, 'GET', `/api/market/candles${query}`);
    const cases: Array<[string, () => ReturnType<typeof http>, number, string]> = [
      ['missing series_id', () => get(''), 400, 'missing series_id'],
      ['invalid series_id', () => get('?series_id=nope'), 400, 'invalid series_id'],
      ['invalid timeframe', () => get(`?series_id=${encodeURIComponent('binance:spot:BTC/USDT:0m')}`), 400, 'invalid series_id'],
      ['limit 0', () => get(`?series_id=${encodeURIComponent(S)}&limit=0`), 400, 'invalid limit'],
      ['limit 5001', () => get(`?series_id=${encodeURIComponent(S)}&limit=5001`), 400, 'invalid limit'],
      ['since -1', () => get(`?series_id=${encodeURIComponent(S)}&since=-1`), 400, 'invalid since'],
      ['since abc', () => get(`?series_id=${encodeURIComponent(S)}&since=abc`), 400, 'invalid since'],
      ['non-JSON body', () => http(gw.url, 'POST', '/api/market/ingest/candle_closed', '{oops'), 400, 'invalid json'],
      ['body not an object', () => http(gw.url, 'POST', '/api/market/ingest/candle_closed', [1, 2]), 400, 'body must be a JSON object'],
      [
        'candle missing close',
        () => http(gw.url, 'POST', '/api/market/ingest/candle_closed', { series_id: S, candle: { candle_time: 60, open: 1, high: 1, low: 1, volume: 1 } }),
        400,
        'candle.close must be a finite number',
      ],
      ['negative candle_time', () => postClosed(gw.url, S, candle(-60)), 400, 'candle.candle_time must be an integer number of seconds >= 0'],
      [
        'empty dev batch',
        () => http(gw.url, 'POST', '/api/dev/market/ingest/candles_closed_batch', { series_id: S, candles: [] }),
        400,
        'candles must be an array of 1..20000 candles',
      ],
      [
        'bad publish_ws',
        () => http(gw.url, 'POST', '/api/dev/market/ingest/candles_closed_batch', { series_id: S, candles: [candle(60)], publish_ws: 'yes' }),
        400,
        'publish_ws must be a boolean',
      ],
      ['unknown path', () => http(gw.url, 'GET', '/api/market/nope'), 404, 'no route GET /api/market/nope'],
      ['wrong method', () => http(gw.url, 'DELETE', '/api/market/candles'), 405, 'DELETE not allowed; use GET'],
      [
        'body over MAX_BODY_BYTES',
        () => http(gw.url, 'POST', '/api/market/ingest/candle_closed', 'x'.repeat(70 * 1024)),
        413,
        'request body exceeds 65536 bytes',
      ],
    ];
    for (const [name, call, status, message] of cases) {
      it(`${name} → ${status}`, async () => {
        const res = await call();
        expect(res.status).toBe(status);
        expect(res.body).toEqual({ code: res.body.code, message });
        expect(typeof res.body.code).toBe('string');
      });
    }

    it('two different Content-Length headers → 400 and the connection ends; the same one twice is fine', async () => {
      const body = JSON.stringify({ series_id: S, candle: candle(60) });
      const raw = (lengths: number[]) =>
        rawHttp(
          gw.port,
          `POST /api/market/ingest/candle_closed HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n` +
            lengths.map((n) => `Content-Length: ${n}\r\n`).join('') +
            `\r\n${body}`,
        );
      const conflicting = await raw([body.length, body.length - 5]);
      expect(conflicting).toMatch(
        /^HTTP\/1\.1 400 Bad Request\r\n[\s\S]*"code":"bad_request","message":"conflicting Content-Length headers"}\[server closed\]$/,
      );
      expect(await raw([body.length, body.length])).toMatch(/^HTTP\/1\.1 200 OK[\s\S]*"ok":true[^\]]*$/);
    });

    it('1,000 seeded random bodies to every write route are each answered 4xx, never 500', async () => {
      const rand = seededRandom(7);
      const routes = ['/api/market/ingest/candle_closed', '/api/dev/market/ingest/candles_closed_batch', '/api/market/ingest/candle_forming'];
      const statuses = await Promise.all(
        Array.from({ length: 1000 }, () => http(gw.url, 'POST', pick(rand, routes), randomInvalidFrame(rand).toString()).then((r) => r.status)),
      );
      expect(statuses.filter((s) => s < 400 || s >= 500)).toEqual([]);
      expect((await http(gw.url, 'GET', '/healthz')).status).toBe(200);
    }, 60_000);
  });
});

/** Frames that are never a valid command: junk bytes, wrong shapes, wrong types, bad ids. */
function randomInvalidFrame(rand: () => number): string | Uint8Array {
  const junkBytes = () => Uint8Array.from({ length: 1 + Math.floor(rand() * 64) }, () => Math.floor(rand() * 256));
  const junkText = () => Array.from({ length: Math.floor(rand() * 40) }, () => String.fromCharCode(32 + Math.floor(rand() * 95))).join('');
  const value = (): unknown =>
    pick(rand, [
      () => null,
      () => rand() * 1e6,
      () => junkText(),
      () => rand() < 0.5,
      () => [value()],
      () => ({ [junkText()]: value() }),
      () => -Math.floor(rand() * 1e9),
    ])();
  const kind = Math.floor(rand() * 9);
  switch (kind) {
    case 0:
      return junkBytes(); // binary junk
    case 1:
      return '{' + junkText(); // broken JSON
    case 2:
      return JSON.stringify([value(), value()]); // not an object
    case 3:
      return JSON.stringify({ series_id: junkText(), since: value() }); // no type
    case 4:
      return JSON.stringify({ type: 'x' + junkText() }); // unknown type
    case 5:
      return JSON.stringify({
        type: pick(rand, ['subscribe', 'unsubscribe']),
        series_id: pick(rand, ['', 'a:b', 'binance:spot:BTC/USDT:7x', 'x'.repeat(300)]),
      });
    case 6:
      return JSON.stringify({ type: 'subscribe', series_id: 'binance:spot:FUZZ/USDT:1m', since: pick(rand, ['1', 1.25, true, {}, []]) });
    case 7:
      return JSON.stringify({ type: 'subscribe', series_id: 'binance:spot:FUZZ/USDT:1m', supports_batch: pick(rand, [1, 'true', {}, []]) });
    default:
      return JSON.stringify({ type: 'subscribe', series_id: 'binance:spot:FUZZ/USDT:1m', tail_limit: pick(rand, [0, -1, 5001, 2.5, 'x']) });
  }
}

describe('oversized bodies under load', () => {
  let big413: TestGateway;
  // A limit of 1 MiB: the client has megabytes in flight when the limit is found, which is when
  // closing at once made the kernel reset the connection before the client read the 413.
  beforeAll(async () => {
    big413 = await startTestGateway({ maxBodyBytes: 1024 * 1024 });
  });
  afterAll(() => big413.stop());

  it('oversized bodies, streamed or declared, from 20 clients at once: every client reads its 413 (no reset before the answer)', async () => {
    const big = 'x'.repeat(8 * 1024 * 1024);
    const post = (streamed: boolean) =>
      fetch(`${big413.url}/api/market/ingest/candle_closed`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        // A streamed body has no Content-Length: the limit is only found mid-body.
        body: streamed ? new Blob([big]).stream() : big,
        duplex: 'half',
      } as RequestInit).then(
        async (r) => `${r.status} ${(await r.json()).message}`,
        (err: Error) => `failed: ${err.message}`,
      );
    // 20 clients, each posting 5 in a row on its keep-alive connection, streamed and declared.
    const outcomes = (
      await Promise.all(
        Array.from({ length: 20 }, async () => {
          const mine: string[] = [];
          for (let i = 0; i < 5; i++) mine.push(await post(true));
          return mine;
        }),
      )
    ).flat();
    expect(outcomes.filter((o) => o !== '413 request body exceeds 1048576 bytes')).toEqual([]);
  }, 60_000);
});

/**
 * Sends raw bytes; resolves with everything received, followed by `[server closed]` when the server
 * ended the connection (rather than us, after 2 s of silence on a kept-alive one).
 */
function rawHttp(port: number, request: string): Promise<string> {
  return new Promise((resolve, reject) => {
    let out = '';
    let serverClosed = false;
    const socket = connect(port, '127.0.0.1', () => socket.write(request));
    socket.setTimeout(2_000, () => socket.destroy());
    socket.on('data', (d) => (out += d));
    socket.on('end', () => (serverClosed = true));
    socket.on('close', () => resolve(serverClosed ? `${out}[server closed]` : out));
    socket.on('error', reject);
  });
}

describe('Host header allow-list (DNS rebinding)', () => {
  let gw: TestGateway;
  beforeAll(async () => {
    gw = await startTestGateway(); // bound to 127.0.0.1: loopback names only
  });
  afterAll(() => gw.stop());

  const get = (host: string) => rawHttp(gw.port, `GET /api/market/candles?series_id=binance:spot:BTC/USDT:1m HTTP/1.1\r\nHost: ${host}\r\n\r\n`);
  const upgrade = (host: string) =>
    rawHttp(
      gw.port,
      `GET /ws/market HTTP/1.1\r\nHost: ${host}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n`,
    );

  it('a rebound name gets 403 host_not_allowed, for HTTP and for a WebSocket upgrade; loopback names are answered', async () => {
    expect(await get('evil.example:8000')).toMatch(/^HTTP\/1\.1 403 Forbidden\r\n[\s\S]*"code":"host_not_allowed"/);
    expect(await upgrade('evil.example:8000')).toMatch(/^HTTP\/1\.1 403 Forbidden\r\n[\s\S]*"code":"host_not_allowed"/);
    expect(await get(`localhost:${gw.port}`)).toMatch(/^HTTP\/1\.1 200 OK/);
    expect(await upgrade(`127.0.0.1:${gw.port}`)).toMatch(/^HTTP\/1\.1 101 Switching Protocols/);
  });
});
