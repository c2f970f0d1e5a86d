/**
 * Which bars of a series' tail window the store lacks (tail coverage, pure). The window is the
 * `count` bars ending at the exchange's last closed bar; the exchange's newest bars (after the
 * stored head) come from one backward fetch, so what is left to ask for are the holes between
 * the window's start and the head.
 */

/** First bar of the `count`-bar window that ends at `lastClosed`. */
export function tailWindowStart(lastClosed: number, count: number, tfSeconds: number): number {
  return lastClosed - (count - 1) * tfSeconds;
}

/**
 * Inclusive ranges of bars in `from`..`through` missing from `storedTimes` (ascending). Beyond
 * `maxRanges` holes, one range from the first missing bar to the last is asked for instead: a
 * few bars fetched twice cost less than many requests.
 */
export function missingRanges(storedTimes: ArrayLike<number>, from: number, through: number, tfSeconds: number, maxRanges: number): Array<[number, number]> {
  const ranges: Array<[number, number]> = [];
  let expect = from;
  for (let i = 0; i < storedTimes.length; i++) {
    const t = storedTimes[i]!;
    if (t < from) continue;
    if (t > through) break;
    if (t - tfSeconds >= expect) ranges.push([expect, t - tfSeconds]);
    expect = Math.max(expect, t + tfSeconds);
  }
  if (expect <= through) ranges.push([expect, through]);
  return ranges.length > maxRanges ? [[ranges[0]![0], ranges.at(-1)![1]]] : ranges;
}
