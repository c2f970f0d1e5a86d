import { badRequest } from '../shared/errors.js';

/** Seconds per unit of `<n><m|h|d>` (contract §1). */
const UNIT_SECONDS: Readonly<Record<string, number>> = { m: 60, h: 3600, d: 86400 };

const TIMEFRAME_RE = /^(\d+)([mhd])$/;

/**
 * Parses a timeframe such as `1m`, `15m`, `4h`, `1d` into seconds. Surrounding whitespace is
 * ignored, as trade_canvas does; anything else (`0m`, `1w`, `1M`, `m`, `1.5h`) is `bad_request`.
 */
export function timeframeSeconds(timeframe: string): number {
  const match = TIMEFRAME_RE.exec(timeframe.trim());
  if (!match) throw badRequest(`invalid timeframe: ${timeframe}`);
  const count = Number(match[1]);
  const seconds = count * UNIT_SECONDS[match[2]!]!;
  if (count <= 0 || !Number.isSafeInteger(seconds)) throw badRequest(`invalid timeframe: ${timeframe}`);
  return seconds;
}

/** True when `timeframe` parses; never throws. */
export function isValidTimeframe(timeframe: string): boolean {
  try {
    timeframeSeconds(timeframe);
    return true;
  } catch {
    return false;
  }
}
