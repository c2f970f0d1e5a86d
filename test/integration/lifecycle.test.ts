import { once } from 'node:events';
import { connect } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { SqliteCandleStore } from '../../src/writer/sqlite-candle-store.js';
import { candle, http, postBatch, postClosed, postForming, startTestGateway, WsClient, type TestGateway } from '../support/gateway-harness.js';
import { StalledWsClient } from '../support/stalled-ws-client.js';

const S = 'binance:futures:BTC/USDT:1m';

describe('API token', () => {
  let gw: TestGateway;
  afterEach(async () => {
    await gw.dispose();
  });

  it('write and debug routes need the bearer token; reads do not', async () => {
    gw = await startTestGateway({ apiToken: 's3cret' });
    const routes: Array<[string, string, unknown]> = [
      ['POST', '/api/market/ingest/candle_closed', { series_id: S, candle: candle(60) }],
      ['POST', '/api/dev/market/ingest/candles_closed_batch', { series_id: S, candles: [candle(60)] }],
      ['POST', '/api/market/ingest/candle_forming', { series_id: S, candle: candle(60) }],
      ['GET', '/api/market/debug/ingest_state', undefined],
    ];
    for (const [method, path, body] of routes) {
      const none = await http(gw.url, method, path, body);
      expect(none.status, `${method} ${path} without token`).toBe(401);
      expect(none.body).toEqual({ code: 'unauthorized', message: 'missing or wrong bearer token' });
      expect((await http(gw.url, method, path, body, { authorization: 'Bearer wrong' })).status).toBe(401);
      expect((await http(gw.url, method, path, body, { authorization: 'Bearer s3cret' })).status).toBe(200);
    }
    expect((await http(gw.url, 'GET', `/api/market/candles?series_id=${encodeURIComponent(S)}`)).status).toBe(200);
    expect((await http(gw.url, 'GET', '/api/market/whitelist')).status).toBe(200);
  });

  it('gated routes are 404 when their flag is off, even with the token', async () => {
    gw = await startTestGateway({ apiToken: 't', enableDevApi: false, enableDebugApi: false });
    const auth = { authorization: 'Bearer t' };
    expect((await http(gw.url, 'POST', '/api/dev/market/ingest/candles_closed_batch', { series_id: S, candles: [candle(60)] }, auth)).status).toBe(404);
    expect((await http(gw.url, 'POST', '/api/market/ingest/candle_forming', { series_id: S, candle: candle(60) }, auth)).status).toBe(404);
    expect((await http(gw.url, 'GET', '/api/market/debug/ingest_state', undefined, auth)).status).toBe(404);
  });
});

/** `batches` published batches of 500 closed candles (~45 KB each), each followed by a forming one. */
async function publishBatches(gw: TestGateway, batches: number): Promise<void> {
  for (let b = 0; b < batches; b++) {
    await postBatch(
      gw.url,
      S,
      Array.from({ length: 500 }, (_, i) => candle(60 * (b * 500 + i + 1))),
      true,
    );
    await postForming(gw.url, S, candle(60 * (b * 500 + 501), 9));
  }
}

/** The candle_times of the next `count` closed candles a client receives (batched or not). */
async function closedTimes(client: WsClient, count: number): Promise<number[]> {
  const received: number[] = [];
  while (received.length < count) {
    const [m] = await client.next(1, 10_000);
    if (m.type === 'candles_batch') received.push(...m.candles.map((c: { candle_time: number }) => c.candle_time));
    else if (m.type === 'candle_closed') received.push(m.candle.candle_time);
  }
  return received;
}

describe('slow consumers', () => {
  let gw: TestGateway;
  afterEach(async () => {
    await gw.dispose();
  });

  it('a client that stops reading is closed with 1008; other clients get everything', async () => {
    gw = await startTestGateway({ wsMaxBufferedBytes: 256 * 1024, wsFormingSkipBytes: 64 * 1024 });
    const healthy = await WsClient.connect(gw);
    healthy.send({ type: 'subscribe', series_id: S, since: 0, supports_batch: true });
    const slow = await StalledWsClient.connect(gw.port);
    slow.sendText(JSON.stringify({ type: 'subscribe', series_id: S, since: 0, supports_batch: true }));
    await new Promise((r) => setTimeout(r, 100));
    slow.stall();
    // Far more than kernel buffers plus 256 KiB.
    const total = 200;
    await publishBatches(gw, total);
    // Closed, but its backlog is still in the server's memory (the close frame waits behind it,
    // unread): the process-wide bound keeps counting it (OutboundBudget.holdClosed).
    const cut = (await http(gw.url, 'GET', '/metrics')).text;
    expect(cut).toMatch(/kline_gateway_ws_slow_consumer_closes_total [1-9]/);
    const held = Number(/^kline_gateway_ws_closed_socket_buffered_bytes (\d+)$/m.exec(cut)?.[1]);
    expect(held).toBeGreaterThan(0);
    expect(Number(/^kline_gateway_ws_buffered_bytes (\d+)$/m.exec(cut)?.[1])).toBeGreaterThanOrEqual(held);
    expect(await slow.closeCode()).toBe(1008);
    const metrics = await http(gw.url, 'GET', '/metrics');
    // Forming updates were skipped first, before closed data forced the close.
    expect(metrics.text).toMatch(/kline_gateway_ws_forming_skipped_total [1-9]/);
    // The healthy client received every closed candle, in order, nothing missing.
    expect(await closedTimes(healthy, total * 500)).toEqual(Array.from({ length: total * 500 }, (_, i) => 60 * (i + 1)));
    slow.destroy();
    healthy.close();
  }, 60_000);
  it('many slow clients at once: the process-wide buffer bound closes them before memory grows; other clients get everything', async () => {
    // Each socket alone may buffer 4 MiB, but all together only 2 MiB.
    gw = await startTestGateway({ wsMaxBufferedBytes: 4 * 1024 * 1024, wsFormingSkipBytes: 64 * 1024, wsMaxTotalBufferedBytes: 2 * 1024 * 1024 });
    const healthy = await WsClient.connect(gw);
    healthy.send({ type: 'subscribe', series_id: S, since: 0, supports_batch: true });
    const slow = await Promise.all(Array.from({ length: 8 }, () => StalledWsClient.connect(gw.port)));
    for (const client of slow) {
      client.sendText(JSON.stringify({ type: 'subscribe', series_id: S, since: 0, supports_batch: true }));
      client.stall();
    }
    const total = 200;
    await publishBatches(gw, total);
    for (const client of slow) expect(await client.closeCode()).toBe(1008);
    const metrics = (await http(gw.url, 'GET', '/metrics')).text;
    // 8 × 4 MiB would have been allowed per socket: the global bound did (most of) the closing.
    expect(Number(/kline_gateway_ws_global_buffer_closes_total (\d+)/.exec(metrics)?.[1])).toBeGreaterThanOrEqual(6);
    expect(Number(/kline_gateway_ws_buffered_bytes (\d+)/.exec(metrics)?.[1])).toBeLessThanOrEqual(2 * 1024 * 1024);
    expect(await closedTimes(healthy, total * 500)).toEqual(Array.from({ length: total * 500 }, (_, i) => 60 * (i + 1)));
    for (const client of slow) client.destroy();
    healthy.close();
  }, 60_000);
});

describe('graceful stop', () => {
  let gw: TestGateway;
  afterEach(async () => {
    await gw.dispose();
  });

  it('commits everything accepted, then closes sockets with 1001 server_shutdown', async () => {
    gw = await startTestGateway();
    const ws = await WsClient.connect(gw);
    ws.send({ type: 'subscribe', series_id: S, since: 0, supports_batch: true });
    // Requests in flight while the stop begins: each one answered 200 must be durable.
    let answered = 0;
    const posts = Array.from({ length: 300 }, (_, i) =>
      postClosed(gw.url, S, candle(60 * (i + 1)))
        .then((r) => r.status)
        .catch((e) => String(e.cause?.code ?? e))
        .finally(() => answered++),
    );
    while (answered < 30) await new Promise((r) => setTimeout(r, 1));
    await gw.stop();
    const statuses = await Promise.all(posts);
    const accepted = statuses.map((s, i) => (s === 200 ? 60 * (i + 1) : null)).filter((t): t is number => t !== null);
    expect(accepted.length).toBeGreaterThan(0);
    const closed = await ws.closed();
    expect(closed).toEqual({ code: 1001, reason: 'server_shutdown' });
    const db = new SqliteCandleStore(gw.dbPath);
    try {
      const stored = new Set<number>();
      const all = db.after(S, 0, 10_000);
      for (let i = 0; i < all.length; i += 6) stored.add(all[i]!);
      expect(accepted.filter((t) => !stored.has(t))).toEqual([]);
    } finally {
      db.close();
    }
  });

  it('leaves no connection open: an idle HTTP keep-alive connection is closed too', async () => {
    gw = await startTestGateway();
    const socket = connect(gw.port, '127.0.0.1');
    await once(socket, 'connect');
    socket.write('GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n');
    expect(String((await once(socket, 'data'))[0])).toMatch(/^HTTP\/1\.1 200/);
    try {
      await gw.stop();
      // Otherwise a client's pooled connection keeps reaching the stopped gateway (503 forever),
      // e.g. after an in-process restart on the same port.
      await expect.poll(() => socket.destroyed, { timeout: 5000, message: 'connection still open after stop' }).toBe(true);
    } finally {
      socket.destroy();
    }
  });

  it('a second gateway on the same database refuses to start while the first runs', async () => {
    gw = await startTestGateway();
    await expect(startTestGateway({}, {}, gw.dir)).rejects.toThrow(/in use by another kline-gateway process/);
    expect((await http(gw.url, 'GET', '/healthz')).status).toBe(200);
  });
});
