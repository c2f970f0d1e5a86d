import { describe, expect, it } from 'vitest';
import { closedDelivery } from '../../../src/main/hub/closed-frames.js';
import { packed } from '../../support/candles.js';

const S = 'binance:futures:BTC/USDT:1m';
const kinds = (d: ReturnType<typeof closedDelivery>) =>
  d.frames.map((f) => f.toObject() as { type: string; candle?: { candle_time: number }; expected_next_time?: number; actual_time?: number });

describe('closedDelivery (contract §3 live rules)', () => {
  const data = packed([160, 220, 340]);

  it('stream clients: every hole announced with a gap before the candle that ends it', () => {
    const d = closedDelivery(S, 60, 100, data, 0, 3, false, 'live');
    expect(kinds(d).map((m) => (m.type === 'gap' ? `gap ${m.expected_next_time}->${m.actual_time}` : `${m.type} ${m.candle!.candle_time}`))).toEqual([
      'candle_closed 160',
      'candle_closed 220',
      'gap 280->340',
      'candle_closed 340',
    ]);
    expect(d.lastSent).toBe(340);
  });

  it('batch clients: one leading gap, then one batch; a single live candle is a candle_closed', () => {
    expect(kinds(closedDelivery(S, 60, 40, data, 0, 3, true, 'live')).map((m) => m.type)).toEqual(['gap', 'candles_batch']);
    expect(kinds(closedDelivery(S, 60, 100, data, 0, 1, true, 'live')).map((m) => m.type)).toEqual(['candle_closed']);
    expect(kinds(closedDelivery(S, 60, 100, data, 0, 1, true, 'catchup')).map((m) => m.type)).toEqual(['candles_batch']);
  });

  it('no reference point (null last_sent): no gap', () => {
    expect(kinds(closedDelivery(S, 60, null, data, 2, 3, false, 'catchup')).map((m) => m.type)).toEqual(['candle_closed']);
  });

  it('JSON bytes equal JSON.stringify of the contract objects', () => {
    const d = closedDelivery(S, 60, 40, data, 0, 3, true, 'live');
    for (const frame of d.frames) expect(frame.bytes('json').toString()).toBe(JSON.stringify(frame.toObject()));
  });
});
