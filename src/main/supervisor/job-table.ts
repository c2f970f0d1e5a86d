/**
 * The supervisor's bookkeeping (contract §4), without threads or timers so it is tested alone:
 * which series have a job, why (whitelist = pinned, on-demand = refcounted by WS subscribes),
 * when an on-demand job went idle, and the capacity rule — when `maxOndemand` jobs exist, a new
 * one evicts the idle job with the oldest zero-time, else the subscribe is refused.
 */
export type JobSource = 'whitelist' | 'ondemand';

export interface JobEntry {
  readonly seriesId: string;
  source: JobSource;
  /** WS subscriptions holding the series (whitelist jobs count them too, for the debug view). */
  refcount: number;
  /** When the refcount last dropped to zero (ms); null while referenced or never. */
  lastZeroAt: number | null;
  /** When the current run started in a worker (ms); null until then. */
  startedAt: number | null;
  crashes: number;
  lastCrashAt: number | null;
  running: boolean;
  /** Held by a cluster lease (src/main/cluster/): wanted while the lease is this node's. */
  leased?: boolean;
}

export type AcquireDecision =
  /** The series already has a job (running or starting): one more reference. */
  | { readonly kind: 'joined'; readonly entry: JobEntry }
  /** A new on-demand job is needed; `evict` (an idle job) must be stopped first. */
  | { readonly kind: 'start'; readonly entry: JobEntry; readonly evict: JobEntry | null }
  | { readonly kind: 'refused' };

export class JobTable {
  private readonly jobs = new Map<string, JobEntry>();
  refused = 0;
  evictions = 0;

  /** `maxOndemand`: ONDEMAND_MAX_JOBS, 0 = unlimited. */
  constructor(private readonly maxOndemand: number) {}

  get(seriesId: string): JobEntry | undefined {
    return this.jobs.get(seriesId);
  }

  entries(): JobEntry[] {
    return [...this.jobs.values()];
  }

  get ondemandCount(): number {
    let n = 0;
    for (const e of this.jobs.values()) if (e.source === 'ondemand') n++;
    return n;
  }

  /** A whitelisted series: pinned, never idle-stopped, outside the on-demand capacity. Returns the entry and whether it is new. */
  pin(seriesId: string): { entry: JobEntry; created: boolean } {
    const existing = this.jobs.get(seriesId);
    if (existing) {
      existing.source = 'whitelist';
      existing.lastZeroAt = null;
      return { entry: existing, created: false };
    }
    const entry = newEntry(seriesId, 'whitelist', 0);
    this.jobs.set(seriesId, entry);
    return { entry, created: true };
  }

  /**
   * A series whose cluster lease this node took: wanted, never idle-stopped or evicted here (the
   * lease decides), outside the local on-demand capacity (the lease owner counts it). Returns the
   * entry and whether it is new.
   */
  hold(seriesId: string, source: JobSource): { entry: JobEntry; created: boolean } {
    const existing = this.jobs.get(seriesId);
    if (existing) {
      existing.leased = true;
      return { entry: existing, created: false };
    }
    const entry = { ...newEntry(seriesId, source, 0), leased: true };
    this.jobs.set(seriesId, entry);
    return { entry, created: true };
  }

  acquire(seriesId: string): AcquireDecision {
    const existing = this.jobs.get(seriesId);
    if (existing) {
      existing.refcount++;
      existing.lastZeroAt = null;
      return { kind: 'joined', entry: existing };
    }
    let evict: JobEntry | null = null;
    if (this.maxOndemand > 0 && this.ondemandCount >= this.maxOndemand) {
      evict = this.oldestIdle();
      if (evict === null) {
        this.refused++;
        return { kind: 'refused' };
      }
      this.jobs.delete(evict.seriesId);
      this.evictions++;
    }
    const entry = newEntry(seriesId, 'ondemand', 1);
    this.jobs.set(seriesId, entry);
    return { kind: 'start', entry, evict };
  }

  /** One subscription let go. Returns true when an on-demand job just became idle. */
  release(seriesId: string, now: number): boolean {
    const entry = this.jobs.get(seriesId);
    if (!entry || entry.refcount === 0) return false;
    entry.refcount--;
    if (entry.refcount > 0) return false;
    entry.lastZeroAt = now;
    return entry.source === 'ondemand';
  }

  /** On-demand jobs idle for at least `ttlMs` at `now`, oldest first. */
  expired(now: number, ttlMs: number): JobEntry[] {
    return this.idle()
      .filter((e) => e.lastZeroAt! + ttlMs <= now)
      .sort((a, b) => a.lastZeroAt! - b.lastZeroAt!);
  }

  /** When the next idle on-demand job reaches its TTL (ms), or null when none is idle. */
  nextExpiry(ttlMs: number): number | null {
    let next: number | null = null;
    for (const e of this.idle()) if (next === null || e.lastZeroAt! + ttlMs < next) next = e.lastZeroAt! + ttlMs;
    return next;
  }

  /** Whether a dead job must be restarted (contract §4: refcount > 0 or pinned). */
  static wanted(entry: JobEntry): boolean {
    return entry.source === 'whitelist' || entry.refcount > 0 || entry.leased === true;
  }

  remove(seriesId: string): void {
    this.jobs.delete(seriesId);
  }

  private idle(): JobEntry[] {
    return [...this.jobs.values()].filter((e) => e.source === 'ondemand' && !e.leased && e.refcount === 0 && e.lastZeroAt !== null);
  }

  private oldestIdle(): JobEntry | null {
    let oldest: JobEntry | null = null;
    for (const e of this.idle()) if (oldest === null || e.lastZeroAt! < oldest.lastZeroAt!) oldest = e;
    return oldest;
  }
}

function newEntry(seriesId: string, source: JobSource, refcount: number): JobEntry {
  return { seriesId, source, refcount, lastZeroAt: null, startedAt: null, crashes: 0, lastCrashAt: null, running: false };
}
