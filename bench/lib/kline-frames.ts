/**
 * Binance USD-M kline frames for the ingest load test, in the exchange's exact layout (decimal
 * strings, field order), so the gateway's parser takes its real path. Series `S<i>USDT`, 1m bars.
 */

export const BAR_MS = 60_000;
export const FIRST_BAR_MS = 1_700_000_040_000 - (1_700_000_040_000 % BAR_MS);

export function symbolOf(i: number): string {
  return `S${i}USDT`;
}

export function streamOf(i: number): string {
  return `s${i}usdt@kline_1m`;
}

export function seriesIdOf(i: number): string {
  return `binance:futures:S${i}/USDT:1m`;
}

/** One kline event. `volume` may carry a send timestamp for latency measurements. */
export function klineFrame(i: number, bar: number, closed: boolean, volume = '12.345'): string {
  const t = FIRST_BAR_MS + bar * BAR_MS;
  const e = closed ? t + BAR_MS + 500 : t + 30_000;
  const p = 100 + ((i * 7 + bar * 13) % 1000) / 100;
  const s = symbolOf(i);
  return (
    `{"e":"kline","E":${e},"s":"${s}","k":{"t":${t},"T":${t + BAR_MS - 1},"s":"${s}","i":"1m","f":${bar * 10},"L":${bar * 10 + 9},` +
    `"o":"${p.toFixed(2)}","c":"${(p + 0.25).toFixed(2)}","h":"${(p + 0.5).toFixed(2)}","l":"${(p - 0.5).toFixed(2)}","v":"${volume}","n":10,"x":${closed},` +
    `"q":"1234.5","V":"6.1","Q":"617.2","B":"0"}}`
  );
}

/**
 * The replay: bars `from`..`from + bars - 1`, for each bar a forming and a closed frame,
 * interleaved across series as the exchange does. From bar 0 it begins with a closed bar -1 per
 * series (so a job sees no hole at its start); a later `from` continues an earlier replay.
 */
export function replayFrames(series: number, bars: number, from = 0): Array<{ stream: string; data: string }> {
  // replayClosedCount below counts what this loop emits.
  const frames: Array<{ stream: string; data: string }> = [];
  if (from === 0) for (let i = 0; i < series; i++) frames.push({ stream: streamOf(i), data: klineFrame(i, -1, true) });
  for (let bar = from; bar < from + bars; bar++) {
    for (let i = 0; i < series; i++) frames.push({ stream: streamOf(i), data: klineFrame(i, bar, false) });
    for (let i = 0; i < series; i++) frames.push({ stream: streamOf(i), data: klineFrame(i, bar, true) });
  }
  return frames;
}

/** Closed frames in `replayFrames(series, bars, from)`: the candles a replay has the gateway commit. */
export function replayClosedCount(series: number, bars: number, from = 0): number {
  return series * (bars + (from === 0 ? 1 : 0));
}

/**
 * Combined-stream frames back to back in one Buffer, as one socket read holds many: frame k is
 * `wire[bounds[k], bounds[k + 1])` (Int32Array: the scanner indexes with integers, as from a read).
 */
export function oneRead(frames: ReadonlyArray<{ stream: string; data: string }>): { wire: Buffer; bounds: Int32Array } {
  const parts = frames.map((f) => Buffer.from(`{"stream":"${f.stream}","data":${f.data}}`, 'latin1'));
  const bounds = new Int32Array(parts.length + 1);
  for (let k = 0; k < parts.length; k++) bounds[k + 1] = bounds[k]! + parts[k]!.length;
  return { wire: Buffer.concat(parts), bounds };
}
