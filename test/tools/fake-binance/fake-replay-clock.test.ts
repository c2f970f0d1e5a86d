import { WebSocket } from 'undici';
import { afterEach, describe, expect, it } from 'vitest';
import { FakeBinance } from '../../../tools/fake-binance/fake-binance.js';
import { waitFor } from '../../support/wait.js';

const FIXTURE = new URL('../../../fixtures/binance/futures-klines-sample.jsonl', import.meta.url).pathname;
const STREAMS = ['btcusdt@kline_1m', 'ethusdt@kline_1m', 'solusdt@kline_1m'];
const T0 = 1_760_000_400_000; // the recording's first frame (and first bar's open)

/** A bare undici client on a combined stream; frames are parsed as they come. */
async function subscriber(fake: FakeBinance, streams: readonly string[]): Promise<{ ws: WebSocket; frames: Array<{ stream: string; data: any }> }> {
  const ws = new WebSocket(`${fake.wsUrl('futures')}/stream?streams=${streams.join('/')}`);
  const frames: Array<{ stream: string; data: any }> = [];
  ws.addEventListener('message', (ev) => frames.push(JSON.parse(String(ev.data))));
  await new Promise((resolve, reject) => {
    ws.addEventListener('open', resolve);
    ws.addEventListener('error', () => reject(new Error('cannot connect')));
  });
  return { ws, frames };
}

async function klines(fake: FakeBinance, symbol: string): Promise<unknown[][]> {
  return (await (await fetch(`${fake.restUrl()}/fapi/v1/klines?symbol=${symbol}&interval=1m`)).json()) as unknown[][];
}

describe('fake Binance started paused, driven by the test', () => {
  let fake: FakeBinance | undefined;
  afterEach(() => fake?.close());

  it('replays a recording only as the test advances its clock, from the recording’s first frame', async () => {
    fake = await FakeBinance.start({ paused: true, replay: { file: FIXTURE, market: 'futures' } });
    expect(fake.now()).toBe(T0);
    const client = await subscriber(fake, STREAMS);
    await fake.subscribed('futures', STREAMS);

    fake.advance(0); // no time passes: nothing is sent
    fake.advance(1_000); // the three frames recorded at T0 (a frame of every stream every 2 s)
    await waitFor(() => client.frames.length === 3, 'the first three frames');
    expect(client.frames.map((f) => [f.stream, f.data.E])).toEqual(STREAMS.map((s) => [s, T0]));

    expect(fake.advance(9_000)).toBe(T0 + 10_000);
    await waitFor(() => client.frames.length === 18, 'ten more seconds');
    // In recorded order, none from after the clock.
    expect(client.frames.map((f) => f.data.E)).toEqual([0, 0, 0, 2, 2, 2, 4, 4, 4, 6, 6, 6, 8, 8, 8, 10, 10, 10].map((s) => T0 + s * 1000));
    client.ws.close();
  });

  it('serves a replayed bar over REST once its closed frame went out, never before', async () => {
    fake = await FakeBinance.start({ paused: true, replay: { file: FIXTURE, market: 'futures' } });
    fake.advance(61_000); // past the bar's end, before its closed frame (recorded at T0 + 62 s)
    expect(await klines(fake, 'BTCUSDT')).toEqual([]);
    fake.advance(1_000);
    const rows = await klines(fake, 'BTCUSDT');
    expect(rows.map((r) => [r[0], r[6]])).toEqual([[T0, T0 + 59_999]]);
  });

  it('waits for a subscription made after the call, by URL or by SUBSCRIBE', async () => {
    fake = await FakeBinance.start({ paused: true, replay: { file: FIXTURE, market: 'futures' } });
    let done = false;
    const subscribed = fake.subscribed('futures', STREAMS).then(() => (done = true));
    const first = await subscriber(fake, STREAMS.slice(0, 1));
    expect(done).toBe(false);
    first.ws.send(JSON.stringify({ method: 'SUBSCRIBE', params: STREAMS.slice(1), id: 1 }));
    await subscribed;
    first.ws.close();
  });

  it('is advanced over the control API too, and runs on once resumed; a running clock refuses', async () => {
    fake = await FakeBinance.start({ paused: true, replay: { file: FIXTURE, market: 'futures' } });
    const client = await subscriber(fake, STREAMS.slice(0, 1));
    const res = await fetch(`${fake.restUrl()}/__control/advance?ms=4000&stepMs=2000`, { method: 'POST' });
    expect(await res.json()).toEqual({ ok: true, now: T0 + 4_000 });
    await waitFor(() => client.frames.length === 3, 'three BTC frames');
    expect(client.frames.map((f) => f.data.E)).toEqual([T0, T0 + 2_000, T0 + 4_000]);

    // Resumed, the replay runs with the wall clock from where the test left it (at speed 1, the
    // next frame is 2 s away: this is only checked to come, not timed).
    fake.resume();
    expect(() => fake!.advance(1)).toThrow(/only while paused/);
    expect((await fetch(`${fake.restUrl()}/__control/advance?ms=1`)).status).toBe(409);
    await waitFor(() => client.frames.length === 4, 'the next frame after resume', 10_000);
    expect(client.frames[3]!.data.E).toBe(T0 + 6_000);
    client.ws.close();
  });
});
