import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FakeBinance } from '../../../tools/fake-binance/fake-binance.js';
import { BinanceStreamManager } from '../../../src/ingest/binance/stream-manager.js';
import { setLogLevel } from '../../../src/shared/log.js';
import { waitFor } from '../../support/wait.js';

let fake: FakeBinance;

beforeAll(async () => {
  setLogLevel('silent');
  fake = await FakeBinance.start({ tickMs: 300 });
});
afterAll(async () => {
  await fake.close();
  setLogLevel('info');
});

describe('BinanceStreamManager', () => {
  it('spreads 450 futures streams over connections of at most 200 and closes a connection when its last stream leaves', async () => {
    const seen = new Set<string>();
    const manager = new BinanceStreamManager({ market: 'futures', baseUrl: fake.wsUrl('futures'), onKline: (ev) => seen.add(ev.stream!) });
    const streams = Array.from({ length: 450 }, (_, i) => `s${i}usdt@kline_1m`);
    for (const s of streams) manager.add(s);
    manager.add(streams[0]!);
    expect(manager.size).toBe(450);
    await waitFor(() => seen.size === 450, 'a frame from every stream', 10_000);
    const open = () => fake.connectionStats().filter((c) => c.open);
    expect(
      open()
        .map((c) => c.streams.length)
        .sort((a, b) => b - a),
    ).toEqual([200, 200, 50]);
    expect(manager.stats().connections.map((c) => c.streams)).toEqual([200, 200, 50]);

    for (const s of streams.slice(400)) manager.remove(s);
    await waitFor(() => open().length === 2, 'the emptied connection to close');
    expect(manager.stats().connections).toHaveLength(2);
    manager.close();
    await waitFor(() => open().length === 0, 'all connections to close');
  });

  it('uses 1024 streams per connection on spot', () => {
    const manager = new BinanceStreamManager({ market: 'spot', baseUrl: fake.wsUrl('spot'), onKline: () => {} });
    for (let i = 0; i < 1100; i++) manager.add(`s${i}usdt@kline_1m`);
    expect(manager.stats().connections.map((c) => c.streams)).toEqual([1024, 76]);
    manager.close();
  });
});
