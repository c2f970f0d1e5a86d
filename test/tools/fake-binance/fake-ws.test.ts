import { WebSocket } from 'undici';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FakeBinance } from '../../../tools/fake-binance/fake-binance.js';
import { waitFor } from '../../support/wait.js';

/** A bare undici client: the fake is checked as a WebSocket server, not through our stream client. */
function connect(url: string): Promise<{ ws: WebSocket; messages: string[] }> {
  const ws = new WebSocket(url);
  const messages: string[] = [];
  ws.addEventListener('message', (ev) => messages.push(String(ev.data)));
  return new Promise((resolve, reject) => {
    ws.addEventListener('open', () => resolve({ ws, messages }));
    ws.addEventListener('error', () => reject(new Error(`cannot connect ${url}`)));
  });
}

let fake: FakeBinance;
beforeAll(async () => {
  fake = await FakeBinance.start({ barMs: 300, tickMs: 30 });
});
afterAll(() => fake.close());

describe('fake Binance WebSocket endpoint', () => {
  it('serves raw /ws/<stream> frames without envelope and combined /stream frames with it', async () => {
    const raw = await connect(`${fake.wsUrl('spot')}/ws/btcusdt@kline_1m`);
    const combined = await connect(`${fake.wsUrl('futures')}/stream?streams=btcusdt@kline_1m/ethusdt@kline_1m`);
    await waitFor(() => raw.messages.length > 3 && combined.messages.length > 6, 'frames');
    expect(JSON.parse(raw.messages[0]!)).toMatchObject({ e: 'kline', s: 'BTCUSDT', k: { i: '1m' } });
    const streams = new Set(combined.messages.map((m) => (JSON.parse(m) as { stream: string }).stream));
    expect(streams).toEqual(new Set(['btcusdt@kline_1m', 'ethusdt@kline_1m']));
    expect(
      fake
        .connectionStats()
        .slice(-2)
        .map((c) => [c.market, c.combined]),
    ).toEqual([
      ['spot', false],
      ['futures', true],
    ]);
    raw.ws.close();
    combined.ws.close();
  });

  it('handles SUBSCRIBE, UNSUBSCRIBE, LIST_SUBSCRIPTIONS and bad requests like Binance', async () => {
    const c = await connect(`${fake.wsUrl('futures')}/stream`);
    c.ws.send(JSON.stringify({ method: 'SUBSCRIBE', params: ['xrpusdt@kline_1m', 'adausdt@kline_1m'], id: 1 }));
    await waitFor(() => c.messages.some((m) => m.includes('xrpusdt@kline_1m')), 'subscribed data');
    c.ws.send(JSON.stringify({ method: 'UNSUBSCRIBE', params: ['adausdt@kline_1m'], id: 2 }));
    c.ws.send(JSON.stringify({ method: 'LIST_SUBSCRIPTIONS', id: 3 }));
    c.ws.send('not json');
    c.ws.send(JSON.stringify({ method: 'SUBSCRIBE', params: 'x', id: 4 }));
    c.ws.send(JSON.stringify({ method: 'NOPE', id: 5 }));
    await waitFor(() => c.messages.filter((m) => !m.includes('"stream"')).length === 6, 'six replies');
    const replies = c.messages.filter((m) => !m.includes('"stream"')).map((m) => JSON.parse(m));
    expect(replies).toEqual([
      { result: null, id: 1 },
      { result: null, id: 2 },
      { result: ['xrpusdt@kline_1m'], id: 3 },
      { error: { code: 3, msg: 'Invalid JSON' } },
      { error: { code: 2, msg: 'Invalid request: params must be a list of stream names' }, id: 4 },
      { error: { code: 2, msg: 'Invalid request: unknown method' }, id: 5 },
    ]);
    expect(fake.connectionStats().at(-1)).toMatchObject({ requests: 6, violations: 0 });
    c.ws.close();
  });

  it('counts inbound messages per connection and reports violations of the per-second limit', async () => {
    const c = await connect(`${fake.wsUrl('spot')}/stream`);
    for (let i = 0; i < 8; i++) c.ws.send(JSON.stringify({ method: 'LIST_SUBSCRIPTIONS', id: i }));
    await waitFor(() => c.messages.length === 8, 'replies');
    expect(fake.connectionStats().at(-1)).toMatchObject({ market: 'spot', maxInboundPerSecond: 8, violations: 3 });
    c.ws.close();
  });

  it('answers 404 for other paths and accepts the /public futures prefix', async () => {
    await expect(connect(`ws://127.0.0.1:${fake.port}/nope`)).rejects.toThrow('cannot connect');
    const c = await connect(`ws://127.0.0.1:${fake.port}/public/ws/btcusdt@kline_1m`);
    expect(fake.connectionStats().at(-1)).toMatchObject({ market: 'futures', combined: false });
    c.ws.close();
  });

  it('faults: silence keeps the socket open but quiet; drop cuts it; serverShutdown warns then closes', async () => {
    const c = await connect(`${fake.wsUrl('futures')}/ws/btcusdt@kline_1m`);
    await waitFor(() => c.messages.length > 2, 'frames');
    fake.silence(300);
    const during = c.messages.length;
    await new Promise((r) => setTimeout(r, 150));
    expect(c.messages.length).toBeLessThanOrEqual(during + 1);
    await waitFor(() => c.messages.length > during + 3, 'frames after the silence');

    fake.serverShutdown(100);
    const closed = new Promise<number>((resolve) => c.ws.addEventListener('close', (ev) => resolve(ev.code)));
    expect(await closed).toBe(1001);
    expect(c.messages.some((m) => m.includes('"e":"serverShutdown"'))).toBe(true);

    const d = await connect(`${fake.wsUrl('futures')}/ws/btcusdt@kline_1m`);
    const dropped = new Promise<number>((resolve) => d.ws.addEventListener('close', (ev) => resolve(ev.code)));
    fake.dropAll();
    expect(await dropped).toBe(1006);
  });

  it('floods frames as fast as the client reads them', async () => {
    const flood = await FakeBinance.start({ tickMs: 60_000, streams: { futures: Array.from({ length: 100 }, (_, i) => `f${i}usdt@kline_1m`) } });
    const c = await connect(`${flood.wsUrl('futures')}/stream?streams=${Array.from({ length: 100 }, (_, i) => `f${i}usdt@kline_1m`).join('/')}`);
    flood.startFlood(250);
    await waitFor(() => c.messages.length >= 20_000, '20,000 frames', 10_000);
    flood.stopFlood();
    // Interleaved like the exchange: consecutive frames come from different streams, except a
    // closed frame and the next bar's first forming frame (a round that crosses a bar's end).
    const frames = c.messages.slice(0, 1000).map((m) => JSON.parse(m) as { stream: string; data: { k: { x: boolean } } });
    expect(frames.filter((f, i) => i > 0 && f.stream === frames[i - 1]!.stream && !frames[i - 1]!.data.k.x)).toEqual([]);
    expect(new Set(frames.slice(0, 200).map((f) => f.stream)).size).toBe(100);
    c.ws.close();
    await flood.close();
  });
});
