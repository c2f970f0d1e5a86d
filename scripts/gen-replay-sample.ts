/**
 * Writes fixtures/binance/futures-klines-sample.jsonl: a small recording of USD-M kline frames made
 * by our own fake's generator (seeded, so re-running writes the same file). The repo owns it, so
 * replay tests and `npm run fake-binance -- --replay` work on a fresh clone without ../shared.
 *   npx tsx scripts/gen-replay-sample.ts
 */
import { writeFileSync } from 'node:fs';
import { KlineGenerator } from '../tools/fake-binance/kline-generator.js';

const STREAMS = ['btcusdt@kline_1m', 'ethusdt@kline_1m', 'solusdt@kline_1m'];
const START_MS = 1_760_000_400_000; // a minute boundary
const BARS = 6;
const TICK_MS = 2_000; // one forming update per 2 s keeps the file small

const generator = new KlineGenerator({ seed: 20261122 });
for (const stream of STREAMS) generator.addStream(stream, START_MS);
const lines: string[] = [];
for (let now = START_MS; now <= START_MS + BARS * 60_000 + 1_000; now += TICK_MS) {
  for (const frame of generator.tick(now)) lines.push(`{"stream":"${frame.stream}","data":${frame.data}}`);
}
const out = new URL('../fixtures/binance/futures-klines-sample.jsonl', import.meta.url);
writeFileSync(out, lines.join('\n') + '\n');
console.log(`wrote ${lines.length} frames to ${out.pathname}`);
