/**
 * Moving a batch of closed candles between threads (ingest worker → writer): an array of objects
 * (structured clone, the baseline), a transferred Float64Array (what the gateway uses), and a
 * msgpack-encoded buffer (transferred, decoded on arrival).
 *   npm run bench:micro:transfer [-- --quick]
 */
import { createRequire } from 'node:module';
import { MessageChannel, Worker } from 'node:worker_threads';
import { unpack } from 'msgpackr';
import { benchArgs } from '../lib/bench-args.js';
import { report, type Row } from '../lib/report.js';

const { quick } = benchArgs();
const SIZES = quick ? [1000] : [1, 200, 1000, 10_000];
const BATCHES = quick ? 300 : 3000;

type Mode = 'objects' | 'float64' | 'msgpack';
const require = createRequire(import.meta.url);

// The sender runs in a real worker thread, as an ingest worker would.
const senderSource = `
const { parentPort, workerData } = require('node:worker_threads');
const { pack } = require(workerData.msgpackr);
const { port, mode, size, batches } = workerData;
const make = (n, k) => { const a = new Float64Array(n * 6); for (let i = 0; i < n; i++) a.set([1.7e9 + 60 * (i + k), 1, 2, 0.5, 1.5, 10], i * 6); return a; };
parentPort.once('message', () => {
  for (let k = 0; k < batches; k++) {
    const data = make(size, k);
    if (mode === 'float64') { port.postMessage(data, [data.buffer]); continue; }
    const out = new Array(size);
    for (let i = 0; i < size; i++) out[i] = { candle_time: data[i * 6], open: data[i * 6 + 1], high: data[i * 6 + 2], low: data[i * 6 + 3], close: data[i * 6 + 4], volume: data[i * 6 + 5] };
    if (mode === 'objects') port.postMessage(out);
    else { const buf = pack(out); port.postMessage(buf, [buf.buffer]); }
  }
});`;

async function measure(mode: Mode, size: number): Promise<number> {
  const { port1, port2 } = new MessageChannel();
  const worker = new Worker(senderSource, {
    eval: true,
    workerData: { port: port2, mode, size, batches: BATCHES, msgpackr: require.resolve('msgpackr') },
    transferList: [port2],
  });
  let received = 0;
  let rows = 0;
  const done = new Promise<number>((resolve) => {
    let t0 = 0;
    port1.on('message', (msg: unknown) => {
      if (received === 0) t0 = performance.now();
      // Consume like the writer would: read every candle time.
      if (mode === 'float64') {
        const data = msg as Float64Array;
        for (let i = 0; i < data.length; i += 6) rows += data[i]! > 0 ? 1 : 0;
      } else {
        const candles = (mode === 'objects' ? msg : unpack(msg as Uint8Array)) as Array<{ candle_time: number }>;
        for (const c of candles) rows += c.candle_time > 0 ? 1 : 0;
      }
      if (++received === BATCHES) resolve((BATCHES - 1) / ((performance.now() - t0) / 1000));
    });
  });
  await new Promise((r) => worker.once('online', r));
  worker.postMessage('go');
  const perSecond = await done;
  await worker.terminate();
  port1.close();
  if (rows !== BATCHES * size) throw new Error(`lost candles: ${rows} of ${BATCHES * size}`);
  return perSecond;
}

const rows: Row[] = [];
const notes: string[] = [];
for (const size of SIZES) {
  const results: Array<[Mode, number]> = [];
  for (const mode of ['objects', 'float64', 'msgpack'] as Mode[]) results.push([mode, await measure(mode, size)]);
  const base = results[0]![1];
  for (const [mode, perSecond] of results) {
    rows.push({
      'candles/batch': size,
      format: mode === 'objects' ? 'objects, cloned (baseline)' : mode === 'float64' ? 'Float64Array, transferred' : 'objects as msgpack, transferred',
      'batches/s': Math.round(perSecond),
      'candles/s': Math.round(perSecond * size),
      'vs baseline': perSecond / base,
    });
  }
}
notes.push(`${BATCHES} batches per measurement, sender in a worker thread, receiver reads every candle`);
report('micro-batch-transfer', 'Closed-candle batch transfer between threads', rows, notes);
