import { parseSeriesId } from '../../src/domain/series-id.js';
import type { FakeBinance } from '../../tools/fake-binance/fake-binance.js';
import type { WsClient } from './gateway-harness.js';
import { exchangeBars, rowOf, type Row } from './live-ingest.js';

/**
 * What one subscriber saw of a series, checked against the contract's live rules (§3): closed
 * candles strictly increasing, and every hole either announced by a `gap` right before the candle
 * after it (`expected_next_time` = last + tf, `actual_time` = that candle) or filled. Returns the
 * rows received and the holes announced; throws naming the first violation.
 */
export function checkedStream(messages: readonly any[], seriesId: string): { rows: Row[]; announced: Array<[number, number]> } {
  const tf = parseSeriesId(seriesId).tfSeconds;
  const rows: Row[] = [];
  const announced: Array<[number, number]> = [];
  let pendingGap: { expected: number; actual: number } | null = null;
  const take = (c: any) => {
    const t = c.candle_time as number;
    const last = rows.at(-1)?.[0];
    if (last !== undefined && t <= last) throw new Error(`${seriesId}: ${t} after ${last} (not strictly increasing)`);
    if (last !== undefined && t > last + tf) {
      if (!pendingGap || pendingGap.expected !== last + tf || pendingGap.actual !== t) {
        throw new Error(`${seriesId}: hole ${last + tf}..${t - tf} neither filled nor announced`);
      }
      announced.push([pendingGap.expected, pendingGap.actual]);
    }
    pendingGap = null;
    rows.push(rowOf(c));
  };
  for (const m of messages) {
    if (m.series_id !== seriesId) continue;
    if (m.type === 'gap') pendingGap = { expected: m.expected_next_time, actual: m.actual_time };
    else if (m.type === 'candle_closed') take(m.candle);
    else if (m.type === 'candles_batch' || m.type === 'snapshot') for (const c of m.candles) take(c);
  }
  return { rows, announced };
}

/** Whether `rows` is `produced` with only the announced holes missing (values included). */
export function coversProduced(rows: readonly Row[], produced: readonly Row[], announced: ReadonlyArray<[number, number]>): boolean {
  const got = new Map(rows.map((r) => [r[0], r]));
  for (const bar of produced) {
    if (bar[0] < rows[0]![0]) continue; // before this subscriber's catch-up began
    const r = got.get(bar[0]);
    if (r) {
      if (r.some((v, i) => v !== bar[i])) return false;
    } else if (!announced.some(([from, to]) => bar[0] >= from && bar[0] < to)) return false;
  }
  return true;
}

/** Every message a client got for `seriesId`, for failure messages. */
export function messagesOf(client: WsClient, seriesId: string): any[] {
  return client.messages.filter((m) => m.series_id === seriesId);
}

/** Whether `client` has received, for every series, the last bar the fake exchange closed (in order, per checkedStream). */
export function deliveredUpToExchange(client: WsClient, fake: FakeBinance, series: readonly string[]): boolean {
  return series.every((s) => checkedStream(client.messages, s).rows.at(-1)?.[0] === exchangeBars(fake, s).at(-1)?.[0]);
}
