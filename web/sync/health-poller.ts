import { healthViewOf, type HealthView } from './health-view.js';
import type { Transport } from './transport.js';
import { describeErrorBody } from './wire.js';

/** Polling as trade_canvas's lamp does it: slower while green, faster while something is wrong. */
export const HEALTH_POLL_MS = { green: 5_000, other: 2_000 } as const;
/** A closed candle arrived: ask again shortly after (its commit is what health reads). */
export const NUDGE_DELAY_MS = 150;
/** The route is off (404): the gate that turns it on, named once on the lamp. */
const OFF_REASON = 'series health is off on this gateway: set TRADE_CANVAS_ENABLE_KLINE_HEALTH_V2=1 (or the debug API)';

/**
 * Keeps the health lamp of the shown series current: one `GET /api/market/health` now, then every
 * 5 s while green, 2 s otherwise, and right after each closed candle (`nudge`). A 404 means the
 * route is gated off: the lamp says so and polling stops. Answers for a series left meanwhile are
 * dropped. DOM-free: timers and fetch come from the Transport.
 */
export class HealthPoller {
  private seriesId: string | null = null;
  /** Increases on every switch: answers of an older one are ignored. */
  private generation = 0;
  private timer: unknown = null;
  private inFlight = false;
  /** A poll came due while one was in flight: ask again as soon as it answers. */
  private again = false;
  private off = false;

  constructor(
    private readonly transport: Pick<Transport, 'fetch' | 'clock'>,
    private readonly onView: (view: HealthView) => void,
    private readonly httpBase = '',
  ) {}

  watch(seriesId: string): void {
    this.seriesId = seriesId;
    this.generation++;
    this.inFlight = false;
    this.again = false;
    this.schedule(0);
  }

  /** A closed candle of the shown series arrived. */
  nudge(): void {
    if (!this.off && this.seriesId !== null) this.schedule(NUDGE_DELAY_MS);
  }

  dispose(): void {
    this.seriesId = null;
    this.generation++;
    this.clearTimer();
  }

  private schedule(ms: number): void {
    if (this.off) return;
    this.clearTimer();
    this.timer = this.transport.clock.setTimeout(() => void this.poll(), ms);
  }

  private clearTimer(): void {
    if (this.timer !== null) this.transport.clock.clearTimeout(this.timer);
    this.timer = null;
  }

  private async poll(): Promise<void> {
    this.timer = null;
    const seriesId = this.seriesId;
    if (seriesId === null) return;
    if (this.inFlight) {
      this.again = true;
      return;
    }
    const generation = this.generation;
    this.inFlight = true;
    let view: HealthView;
    let next: number | null;
    try {
      const res = await this.transport.fetch(`${this.httpBase}/api/market/health?series_id=${encodeURIComponent(seriesId)}`);
      const body = await res.json().catch(() => undefined);
      if (res.status === 404) {
        [view, next] = [{ tone: 'gray', label: 'Health off', reason: OFF_REASON }, null];
      } else if (!res.ok) {
        [view, next] = [{ tone: 'gray', label: 'Health unknown', reason: `HTTP ${res.status} ${describeErrorBody(body) ?? ''}`.trim() }, HEALTH_POLL_MS.green];
      } else {
        view = healthViewOf(body);
        next = view.tone === 'green' ? HEALTH_POLL_MS.green : HEALTH_POLL_MS.other;
      }
    } catch (err) {
      [view, next] = [
        { tone: 'gray', label: 'Health unknown', reason: `network error: ${err instanceof Error ? err.message : String(err)}` },
        HEALTH_POLL_MS.green,
      ];
    }
    if (generation !== this.generation) return; // switched meanwhile: watch() scheduled its own poll
    this.inFlight = false;
    this.onView(view);
    if (next === null) {
      this.off = true;
      return;
    }
    if (this.again) {
      this.again = false;
      this.schedule(0);
    } else if (this.timer === null) this.schedule(next); // a nudge during the request scheduled a sooner one
  }
}
