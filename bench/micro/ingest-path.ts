/**
 * What the ingest path costs per frame beyond parsing it (issue 16: "an ingested frame should
 * cost little more than the work itself"), in this thread, on the real classes, with no socket
 * and no other process — so no waits for a core, which on the 2-core box blur bench:ingest.
 *
 *   scan  the byte scanner alone over the frames' wire bytes (the work itself);
 *   path  the same scan, then what a worker does per frame: the stream name interned
 *         (StreamNames), the rotation dedupe (FrameDedupe), the route to the series' job (a Map
 *         by stream, as ingest-engine.ts), the job (hole tracking, hold, forming throttle), and
 *         closed candles through the ClosedBatcher and WriterProducer into a real MessagePort.
 *         The writer's acks are given in the loop, every 256 frames.
 *
 * The frames are the replay's (bench/lib/kline-frames.ts): 1,000 futures series, per bar a
 * forming and a closed frame, series interleaved; each pass moves every bar on so the jobs always
 * see new candles. CPU time (process.cpuUsage), rounds alternating scan and path; the median of
 * the rounds is printed, and `path ÷ scan`.
 *
 *   npm run bench:micro:ingest-path [-- --quick]
 */
import { KlineByteScanner } from '../../src/domain/binance-kline-bytes.js';
import { binanceSeriesOf } from '../../src/domain/binance-symbols.js';
import { KlineFrame } from '../../src/domain/kline-frame.js';
import { FrameDedupe } from '../../src/ingest/binance/frame-dedupe.js';
import { StreamNames } from '../../src/ingest/binance/stream-names.js';
import { ClosedBatcher } from '../../src/ingest/closed-batcher.js';
import { SeriesJob } from '../../src/ingest/jobs/series-job.js';
import { systemClock } from '../../src/shared/clock.js';
import { createLogger } from '../../src/shared/log.js';
import { WriterProducer, type ClosedBatchMessage } from '../../src/writer/contract.js';
import { klineFrame, oneRead, seriesIdOf, streamOf } from '../lib/kline-frames.js';
import { report, type Row } from '../lib/report.js';

const quick = process.argv.includes('--quick');
const SERIES = 1000;
const BARS = 4;
const ROUNDS = quick ? 3 : 9;
const PASSES_PER_ROUND = quick ? 10 : 30;
const BAR_SECONDS = 60;

// The wire: every frame's bytes in one buffer, as a socket read holds many.
const frames: Array<{ stream: string; data: string }> = [];
for (let bar = 0; bar < BARS; bar++) {
  for (const closed of [false, true]) {
    for (let i = 0; i < SERIES; i++) frames.push({ stream: streamOf(i), data: klineFrame(i, bar, closed) });
  }
}
const { wire, bounds } = oneRead(frames);
const FRAMES = frames.length;

const scanner = new KlineByteScanner();
const frame = new KlineFrame();
const names = new StreamNames();
const dedupe = new FrameDedupe();
const logger = createLogger('bench');
const { port1, port2 } = new MessageChannel();
// The writer's side only receives (the acks are given in the loop); rounds yield so it can.
port2.onmessage = () => undefined;
const posted: number[] = [];
const producer = new WriterProducer({ window: 64, mode: 'copy', commitFailure: 'wait' });
producer.attach({
  postMessage: (msg: ClosedBatchMessage) => {
    port1.postMessage(msg);
    posted.push(msg.seq);
  },
});
const batcher = new ClosedBatcher({ maxBatch: 200, flushMs: 500, producer, logger });
const routes = new Map<string, SeriesJob[]>();
for (let i = 0; i < SERIES; i++) {
  const series = binanceSeriesOf(seriesIdOf(i));
  batcher.retain(series.seriesId);
  const job = new SeriesJob(
    series,
    { closed: (id, packed) => batcher.addPacked(id, packed), forming: () => undefined, gap: () => undefined },
    { formingMinIntervalMs: 250, clock: systemClock, logger, head: null },
  );
  routes.set(streamOf(i), [job]);
}

let acked = 0;
function ackAll(): void {
  while (acked < posted.length) producer.ack({ t: 'ack', seq: posted[acked++]!, ok: true, committed: 0 });
}

function scanPass(): void {
  for (let k = 0; k < FRAMES; k++) if (!scanner.scan(wire, bounds[k]!, bounds[k + 1]!, frame)) throw new Error('the scanner refused a replay frame');
}

/** Bars already replayed: each path pass moves the frames' times on by that much. */
let shiftBars = 0;
/** The local clock of a read: one ms per 256 frames (a socket read stamps all its frames alike). */
let readAt = 0;
function pathPass(): void {
  const shiftSeconds = shiftBars * BAR_SECONDS;
  for (let k = 0; k < FRAMES; k++) {
    if (!scanner.scan(wire, bounds[k]!, bounds[k + 1]!, frame)) throw new Error('the scanner refused a replay frame');
    frame.candleTime += shiftSeconds;
    frame.eventTimeMs += shiftSeconds * 1000;
    if ((k & 255) === 0) readAt++;
    frame.receivedAt = readAt;
    frame.stream = names.resolve(wire, frame.streamStart, frame.streamEnd, frame.streamHash);
    if (dedupe.accept(frame)) {
      const readers = routes.get(frame.stream)!;
      for (let r = 0; r < readers.length; r++) readers[r]!.onKline(frame);
    }
    if ((k & 255) === 255) ackAll();
  }
  ackAll();
  shiftBars += BARS;
}

function nsPerFrame(pass: () => void): number {
  const start = process.cpuUsage();
  for (let p = 0; p < PASSES_PER_ROUND; p++) pass();
  const used = process.cpuUsage(start);
  return ((used.user + used.system) * 1000) / (PASSES_PER_ROUND * FRAMES);
}

const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[xs.length >> 1]!;

// Warm-up: both paths optimized before anything is timed.
for (let w = 0; w < 3; w++) {
  scanPass();
  pathPass();
}
const scanNs: number[] = [];
const pathNs: number[] = [];
for (let r = 0; r < ROUNDS; r++) {
  scanNs.push(nsPerFrame(scanPass));
  pathNs.push(nsPerFrame(pathPass));
  await new Promise((resolve) => setImmediate(resolve));
}
const stats = batcher.stats();
port1.close();
port2.close();
if (stats.overflowed > 0) throw new Error(`the batcher dropped ${stats.overflowed} candles`);

const scan = median(scanNs);
const path = median(pathNs);
const rows: Row[] = [
  { measure: 'scan: byte scanner alone, CPU ns per frame (median of rounds)', value: Math.round(scan) },
  { measure: 'path: scan + intern + dedupe + route + job + batcher + producer, ns per frame', value: Math.round(path) },
  { measure: 'path − scan: what the ingest path adds per frame (ns)', value: Math.round(path - scan) },
  { measure: 'path ÷ scan', value: path / scan },
  { measure: 'rounds (scan ns per frame)', value: scanNs.map((x) => Math.round(x)).join(' ') },
  { measure: 'rounds (path ns per frame)', value: pathNs.map((x) => Math.round(x)).join(' ') },
  { measure: 'closed batches posted to the port', value: posted.length },
];
report(
  'micro-ingest-path',
  `Ingest path vs the bare scan: ${FRAMES.toLocaleString('en-US')} frames per pass (${SERIES} series × ${BARS} bars, forming + closed), ${ROUNDS} rounds`,
  rows,
);
process.exit(0);
