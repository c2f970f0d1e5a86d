/**
 * WS message encoding: JSON.stringify of message objects (baseline) vs the gateway's candle JSON
 * encoder (byte-identical output) vs msgpack (msgpackr, as `?encoding=msgpack` sends it).
 *   npm run bench:micro:encode [-- --quick]
 */
import { Packr } from 'msgpackr';
import { candleCount, unpackCandles } from '../../src/domain/candle.js';
import { candleClosedFrame, candlesBatchFrame } from '../../src/protocol/server-messages.js';
import { benchArgs } from '../lib/bench-args.js';
import { report, type Row } from '../lib/report.js';

const { quick } = benchArgs();
const packr = new Packr({ useRecords: false, variableMapSize: true });
const S = 'binance:futures:BTC/USDT:1m';
const packed = new Float64Array(500 * 6);
for (let i = 0; i < 500; i++) packed.set([1_700_000_000 + 60 * i, 37123.4 + i, 37150.25 + i, 37100.5 + i, 37140.75 + i, 12.3456 + i], i * 6);
const objects = unpackCandles(packed);

function opsPerSecond(fn: () => unknown): number {
  const budgetMs = quick ? 200 : 1500;
  let ops = 0;
  const t0 = performance.now();
  while (performance.now() - t0 < budgetMs) {
    for (let i = 0; i < 100; i++) fn();
    ops += 100;
  }
  return ops / ((performance.now() - t0) / 1000);
}

const one = objects[0]!;
const rows: Row[] = [];
const cases: Array<[string, Array<[string, () => unknown]>]> = [
  [
    'candle_closed (1 candle)',
    [
      ['JSON.stringify(object) (baseline)', () => Buffer.from(JSON.stringify({ type: 'candle_closed', series_id: S, candle: one }))],
      ['gateway JSON encoder', () => candleClosedFrame(S, one).bytes('json')],
      ['msgpack', () => packr.pack({ type: 'candle_closed', series_id: S, candle: one })],
    ],
  ],
  [
    `candles_batch (${candleCount(packed)} candles)`,
    [
      ['JSON.stringify(objects) (baseline)', () => Buffer.from(JSON.stringify({ type: 'candles_batch', series_id: S, candles: unpackCandles(packed) }))],
      ['gateway JSON encoder', () => candlesBatchFrame(S, packed).bytes('json')],
      ['msgpack', () => candlesBatchFrame(S, packed).bytes('msgpack')],
    ],
  ],
];
const notes: string[] = [];
for (const [message, variants] of cases) {
  const measured = variants.map(([name, fn]) => ({ name, ops: opsPerSecond(fn), bytes: (fn() as Buffer).length }));
  const base = measured[0]!.ops;
  for (const m of measured) rows.push({ message, encoder: m.name, 'ops/s': Math.round(m.ops), 'vs baseline': m.ops / base, bytes: m.bytes });
}
notes.push(
  'gateway JSON output is byte-identical to JSON.stringify (test/main/hub/closed-frames.test.ts); each frame is encoded once per encoding, whatever the number of recipients',
);
report('micro-ws-encode', 'WS message encoding', rows, notes);
