/**
 * Series health (`GET /api/market/health`, trade_canvas's payload) as the page's lamp shows it:
 * a tone, a short label and the reason for the hover text. DOM-free.
 */

export type HealthTone = 'green' | 'yellow' | 'red' | 'gray';

export interface HealthView {
  readonly tone: HealthTone;
  readonly label: string;
  /** The status reason and what it means, for `title` (hover). */
  readonly reason: string;
}

const WHY: Record<string, string> = {
  up_to_date: 'the newest closed candle is stored',
  missing_head: 'no candle stored for this series',
  head_ahead_of_closed_window: 'the newest stored candle is still forming by the gateway clock',
  backfill_running: 'missing candles are being fetched from the exchange',
  backfill_recent: 'missing candles were fetched a moment ago',
  lagging_no_recent_backfill: 'candles are missing and no backfill ran recently',
};

/** 90 → "1m 30s", 7500 → "2h 5m", 200000 → "2d 7h". */
export function formatDuration(seconds: number): string {
  const s = Math.max(0, Math.round(seconds));
  const [d, h, m] = [Math.floor(s / 86_400), Math.floor((s % 86_400) / 3600), Math.floor((s % 3600) / 60)];
  if (d > 0) return h > 0 ? `${d}d ${h}h` : `${d}d`;
  if (h > 0) return m > 0 ? `${h}h ${m}m` : `${h}h`;
  if (m > 0) return s % 60 > 0 ? `${m}m ${s % 60}s` : `${m}m`;
  return `${s}s`;
}

type Obj = Record<string, unknown>;
const num = (v: unknown): number | null => (typeof v === 'number' && Number.isFinite(v) ? v : null);
const str = (v: unknown): string | null => (typeof v === 'string' && v !== '' ? v : null);

/** The lamp for a health payload; gray with the reason when it is not one. */
export function healthViewOf(raw: unknown): HealthView {
  if (raw === null || typeof raw !== 'object') return { tone: 'gray', label: 'Health unknown', reason: 'unreadable health answer' };
  const h = raw as Obj;
  const status = str(h.status);
  const reason = str(h.status_reason) ?? 'unknown';
  const backfill = (h.backfill ?? {}) as Obj;
  const missing = num(h.missing_seconds) ?? num(h.lag_seconds);
  const behind = missing === null ? '' : `${formatDuration(missing)} missing`;
  const details = [
    WHY[reason],
    num(h.missing_candles) ? `${num(h.missing_candles)} candle(s) missing` : null,
    str(backfill.error) && `backfill error: ${str(backfill.error)}`,
  ];
  const hover = `${reason}: ${details.filter(Boolean).join('; ')}`;
  if (status === 'green') return { tone: 'green', label: 'Up to date', reason: hover };
  if (status === 'yellow') {
    if (reason === 'head_ahead_of_closed_window') return { tone: 'yellow', label: 'Ahead of clock', reason: hover };
    const pct = num(backfill.progress_pct);
    const progress = reason === 'backfill_running' && pct !== null ? `Backfill ${Math.round(pct)}%` : 'Backfilled';
    return { tone: 'yellow', label: behind ? `${progress} · ${behind}` : progress, reason: hover };
  }
  if (status === 'red') return { tone: 'red', label: reason === 'missing_head' ? 'No data' : `Lagging · ${behind}`, reason: hover };
  return { tone: 'gray', label: 'Health unknown', reason: hover };
}
