/**
 * Micro-benchmark of the kline frame parser (the hottest function of the ingest path).
 *
 *   npx tsx bench/micro/kline-parse.ts [--quick]
 *
 * Compares JSON.parse + validation (parseKlineFrameJson) with the one-pass scanner
 * (scanKlineFrame, used by parseKlineFrame) on frames shaped like Binance's combined futures
 * stream: the recorded lines from ../shared/fixtures when present, else synthetic ones of the
 * same layout. Prints frames/s per approach and the ratio.
 */
import { existsSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { parseKlineFrame, parseKlineFrameJson } from '../../src/domain/binance-kline.js';
import { scanKlineFrame } from '../../src/domain/binance-kline-scan.js';

const quick = process.argv.includes('--quick');
const ROUNDS = quick ? 3 : 7;
const ROUND_MS = quick ? 150 : 600;

function recordedFrames(): string[] {
  const file = fileURLToPath(new URL('../../../shared/fixtures/binance/cryptofeed-sample_data/BINANCE_FUTURES.ws.1.0.kline-lines', import.meta.url));
  if (!existsSync(file)) return [];
  return readFileSync(file, 'utf8')
    .split('\n')
    .filter((l) => l.includes(': {'))
    .map((l) => l.slice(l.indexOf(': ') + 2));
}

function syntheticFrames(n: number): string[] {
  const out: string[] = [];
  for (let i = 0; i < n; i++) {
    const sym = `SYM${i % 50}USDT`;
    const t = 1_700_000_000_000 + Math.floor(i / 50) * 60_000;
    const p = (100 + (i % 97) / 10).toFixed(4);
    out.push(
      `{"stream":"${sym.toLowerCase()}@kline_1m","data":{"e":"kline","E":${t + 1234},"s":"${sym}","k":{"t":${t},"T":${t + 59_999},` +
        `"s":"${sym}","i":"1m","f":${1000 + i},"L":${1100 + i},"o":"${p}","c":"${p}","h":"${p}","l":"${p}","v":"${(i * 3.5).toFixed(3)}",` +
        `"n":${i % 300},"x":${i % 60 === 0},"q":"1234.56780","V":"17.290","Q":"1748.01900","B":"0"}}}`,
    );
  }
  return out;
}

/** CPU time of this thread: other processes on a shared machine inflate wall time, not this. */
function cpuMs(): number {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1000;
}

/** Best frames/s of each approach over interleaved rounds (A B A B ...), so drift hits both alike. */
function measure(approaches: Record<string, (text: string) => unknown>, frames: string[]): Record<string, number> {
  const best: Record<string, number> = {};
  let sink = 0;
  for (let round = 0; round < ROUNDS; round++) {
    for (const [name, parse] of Object.entries(approaches)) {
      let count = 0;
      const start = cpuMs();
      let now = start;
      while (now - start < ROUND_MS) {
        for (let i = 0; i < frames.length; i++) if (parse(frames[i]!) !== undefined) sink++;
        count += frames.length;
        now = cpuMs();
      }
      best[name] = Math.max(best[name] ?? 0, (count * 1000) / (now - start));
    }
  }
  if (sink < 0) console.log(sink);
  for (const [name, rate] of Object.entries(best)) {
    console.log(`${name.padEnd(34)} ${Math.round(rate).toLocaleString('en-US').padStart(12)} frames/s  (${(1e6 / rate).toFixed(3)} µs/frame)`);
  }
  return best;
}

const recorded = recordedFrames();
// Flat strings, as a socket delivers them (slices of the file would be "sliced strings").
const frames = (recorded.length > 0 ? recorded : syntheticFrames(1000)).map((f) => Buffer.from(f).toString());
console.log(
  `kline-parse: ${frames.length} ${recorded.length > 0 ? 'recorded futures' : 'synthetic'} frames, ${frames[0]!.length} bytes each (first); node ${process.version}`,
);
for (const f of frames) {
  if (JSON.stringify(scanKlineFrame(f)) !== JSON.stringify(parseKlineFrameJson(f))) throw new Error(`scanner and JSON path disagree on ${f}`);
}
const rates = measure({ 'JSON.parse + validate': parseKlineFrameJson, 'scanner + fallback (parseKlineFrame)': parseKlineFrame }, frames);
const ratio = rates['scanner + fallback (parseKlineFrame)']! / rates['JSON.parse + validate']!;
console.log(`ratio scanner / JSON.parse: ${ratio.toFixed(2)}× (CPU time, best of ${ROUNDS} interleaved rounds)`);
