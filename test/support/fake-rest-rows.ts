import type { FakeBinance } from '../../tools/fake-binance/fake-binance.js';
import type { Row } from './live-ingest.js';

/**
 * Closed bars `from`..`to` (seconds, inclusive) as the fake's REST serves them, paged like a
 * client would: what "equal, value for value, to the exchange's REST" is compared with. The
 * requests are logged by the fake like any other: count the gateway's before calling this.
 */
export async function fakeRestRows(fake: FakeBinance, market: 'spot' | 'futures', symbol: string, interval: string, from: number, to: number): Promise<Row[]> {
  const path = market === 'spot' ? '/api/v3/klines' : '/fapi/v1/klines';
  const out: Row[] = [];
  let start = from * 1000;
  for (;;) {
    const res = await fetch(`${fake.restUrl()}${path}?symbol=${symbol}&interval=${interval}&startTime=${start}&endTime=${to * 1000}&limit=1000`);
    if (res.status !== 200) throw new Error(`fake REST answered ${res.status}: ${await res.text()}`);
    const rows = (await res.json()) as Array<[number, string, string, string, string, string]>;
    out.push(...rows.map((r): Row => [r[0] / 1000, +r[1], +r[2], +r[3], +r[4], +r[5]]));
    if (rows.length < 1000) return out;
    start = rows.at(-1)![0] + 1;
  }
}
