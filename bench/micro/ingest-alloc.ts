/**
 * Bytes the ingest hot path allocates per frame (issue 16: "no allocation per frame on the hot
 * path"), in this thread, on the real classes: the byte scanner, then 1,000 series jobs (dedupe
 * aside) whose closed candles go through the real ClosedBatcher and WriterProducer to a port that
 * acks every batch. Forming and closed frames alternate per series, bar after bar, as a live
 * stream does.
 *
 *   npm run bench:micro:alloc [-- --quick]
 *
 * Measured with V8's sampling heap profiler, objects already collected included (a 64-byte
 * sampling interval: an estimate, good to a few bytes per frame). Only allocations made in our
 * code (src/) or in what it calls are counted; the loop driving it is left out. What remains is
 * per batch (each message to the writer is a fresh copy, kept for a resend), spread over frames.
 */
import { Session } from 'node:inspector/promises';
import { fileURLToPath } from 'node:url';
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
import { klineFrame, oneRead, seriesIdOf } from '../lib/kline-frames.js';
import { report, type Row } from '../lib/report.js';

const quick = process.argv.includes('--quick');
const FRAMES = quick ? 100_000 : 600_000;
const WARMUP = quick ? 100_000 : 300_000;
const SERIES = 1000;
const SRC = fileURLToPath(new URL('../../src/', import.meta.url));

interface ProfileNode {
  callFrame: { functionName: string; url: string };
  selfSize: number;
  children?: ProfileNode[];
}

const session = new Session();
session.connect();

/** Bytes per op allocated in src/ (and below it), with the top allocating functions. */
async function allocated(ops: number, run: (n: number) => void): Promise<{ perOp: number; top: string }> {
  run(WARMUP);
  await session.post('HeapProfiler.enable');
  // The protocol's flags, newer than @types/node's typing of this call.
  await session.post('HeapProfiler.startSampling', {
    samplingInterval: 64,
    includeObjectsCollectedByMajorGC: true,
    includeObjectsCollectedByMinorGC: true,
  } as { samplingInterval: number });
  run(ops);
  const { profile } = (await session.post('HeapProfiler.stopSampling')) as unknown as { profile: { head: ProfileNode } };
  await session.post('HeapProfiler.disable');
  const bySite = new Map<string, number>();
  let total = 0;
  const walk = (node: ProfileNode, ours: boolean) => {
    const url = node.callFrame.url.replace('file://', '');
    const inSrc = ours || url.startsWith(SRC);
    if (inSrc && node.selfSize > 0) {
      const site = `${node.callFrame.functionName || '(anonymous)'} (${url.startsWith(SRC) ? url.slice(SRC.length) : 'builtin'})`;
      bySite.set(site, (bySite.get(site) ?? 0) + node.selfSize);
      total += node.selfSize;
    }
    for (const child of node.children ?? []) walk(child, inSrc);
  };
  walk(profile.head, false);
  const top = [...bySite]
    .sort((a, b) => b[1] - a[1])
    .slice(0, 3)
    .map(([site, bytes]) => `${site} ${(bytes / ops).toFixed(1)}`)
    .join('; ');
  return { perOp: total / ops, top: top || '—' };
}

// 1. The scanner on the wire bytes of combined-stream frames with Binance-sized decimals: 64
// frames back to back in one Buffer, as one socket read hands them on.
const { wire, bounds: starts } = oneRead(Array.from({ length: 64 }, (_, i) => ({ stream: `s${i}usdt@kline_1m`, data: klineFrame(i, 100 + i, i % 2 === 0) })));
const scanner = new KlineByteScanner();
const scanned = new KlineFrame();
let cursor = 0;
/** Scans the next frame of the read into `scanned` and returns the read's bytes. */
function scanNext(): Buffer {
  const i = cursor++ & 63;
  if (!scanner.scan(wire, starts[i]!, starts[i + 1]!, scanned)) throw new Error('the scanner refused a template frame');
  return wire;
}
const scan = await allocated(FRAMES, (n) => {
  for (let i = 0; i < n; i++) scanNext();
});

// 2. What the connection and the manager do next: intern the stream name, drop rotation repeats.
const names = new StreamNames();
const dedupe = new FrameDedupe();
let eventTime = 0;
const routing = await allocated(FRAMES, (n) => {
  for (let i = 0; i < n; i++) {
    const bytes = scanNext();
    scanned.stream = names.resolve(bytes, scanned.streamStart, scanned.streamEnd, scanned.streamHash);
    scanned.eventTimeMs = ++eventTime; // every frame new, as on one connection
    if (!dedupe.accept(scanned)) throw new Error('a new frame was taken for a repeat');
  }
});

// 3. Series jobs → closed batcher → producer, the writer acking every batch at once.
const producer = new WriterProducer({ window: 64, mode: 'copy', commitFailure: 'wait' });
const posted: number[] = [];
producer.attach({ postMessage: (msg: ClosedBatchMessage) => posted.push(msg.seq) });
const batcher = new ClosedBatcher({ maxBatch: 200, flushMs: 500, producer, logger: createLogger('bench') });
const jobs = Array.from({ length: SERIES }, (_, i) => {
  const series = binanceSeriesOf(seriesIdOf(i));
  batcher.retain(series.seriesId);
  return new SeriesJob(
    series,
    { closed: (id, packed) => batcher.addPacked(id, packed), forming: () => undefined, gap: () => undefined },
    { formingMinIntervalMs: 250, clock: systemClock, logger: createLogger('bench'), head: null },
  );
});
const frame = new KlineFrame();
let step = 0;
let acked = 0;
const jobPath = await allocated(FRAMES, (n) => {
  for (let k = 0; k < n; k++) {
    const pair = step >> 1;
    const closed = (step & 1) === 1;
    const bar = 1_000_000 + ((pair / SERIES) | 0);
    frame.candleTime = bar * 60;
    frame.eventTimeMs = bar * 60_000 + (closed ? 60_500 : 30_000);
    frame.closed = closed;
    frame.open = frame.close = 100 + (step & 1023) / 8;
    frame.high = frame.open + 1;
    frame.low = frame.open - 1;
    frame.volume = step & 4095;
    frame.receivedAt = bar * 60_000;
    jobs[pair % SERIES]!.onKline(frame);
    step++;
    while (acked < posted.length) producer.ack({ t: 'ack', seq: posted[acked++]!, ok: true, committed: 0 });
  }
});

const rows: Row[] = [
  { measure: 'byte scanner: bytes allocated per frame', value: scan.perOp.toFixed(1) },
  { measure: '  where', value: scan.top },
  { measure: 'scanner + stream name + dedupe: bytes per frame', value: routing.perOp.toFixed(1) },
  { measure: '  where', value: routing.top },
  { measure: 'series job + closed batcher + producer: bytes per frame (1:1 forming:closed)', value: jobPath.perOp.toFixed(1) },
  { measure: '  where', value: jobPath.top },
  { measure: 'closed batches sent (each one message: its allocations are per batch)', value: posted.length },
];
report('micro-ingest-alloc', `Ingest hot path allocations: ${FRAMES.toLocaleString('en-US')} frames, ${SERIES} series `, rows);
process.exit(0);
