import { candleCount } from '../../domain/candle.js';
import { decodeCommitted } from '../../protocol/bus-messages.js';
import { monotonicMs } from '../../shared/clock.js';
import { createLogger } from '../../shared/log.js';
import type { CommittedMessage } from '../../writer/contract.js';
import type { Bus, BusSubscription, DurableMessage } from './bus.js';
import type { ClusterNames } from './cluster-names.js';

const log = createLogger('bus.feed');

export interface FeedStats {
  /** Stream sequence of the last message applied to the tail cache and the hub. */
  readonly appliedSeq: number;
  readonly appliedMessages: number;
  readonly appliedCandles: number;
  /** Times the caches were dropped: a resync message, or stream messages that expired unapplied. */
  readonly resyncs: number;
  readonly badMessages: number;
}

/**
 * Feeds the node's tail cache and hub from the stream of committed candles: every node, whoever
 * committed, sees every commit in one order (the stream's), as a `CommittedMessage` whose
 * `commitSeq` is the stream sequence.
 *
 * Where it resumes: at start, from the stream's head — derived, not persisted: the caches start
 * empty, everything up to the head is in PostgreSQL (published after its commit), and every tail
 * load notes the applied sequence before it reads the store (`tagRead`), so the cache applies
 * exactly the commits its read could not have seen. After a bus reconnect or a nats-server
 * restart the ordered consumer resumes after the last sequence delivered, so nothing is skipped;
 * if the stream no longer has those messages (kept BUS_STREAM_MAX_AGE_S), the jump in sequence is
 * seen and the caches are dropped, to be reloaded from PostgreSQL.
 */
export class CommittedFeed {
  private applied = 0;
  private sub: BusSubscription | null = null;
  private waiters: Array<{ seq: number; resolve: (ok: boolean) => void }> = [];
  private readonly counters = { appliedMessages: 0, appliedCandles: 0, resyncs: 0, badMessages: 0 };

  constructor(
    private readonly bus: Bus,
    private readonly names: ClusterNames,
    private readonly apply: (msg: CommittedMessage) => void,
    private readonly resync: (why: string) => void,
  ) {}

  async start(): Promise<void> {
    const { lastSeq } = await this.bus.streamState();
    this.applied = lastSeq;
    this.sub = await this.bus.consumeDurable(lastSeq + 1, (m) => this.onMessage(m));
    log.info('bus feed started', { stream: this.names.stream, fromSeq: lastSeq + 1 });
  }

  get appliedSeq(): number {
    return this.applied;
  }

  /** Runs a store read, tagged with the sequence applied before it began (tail cache coherence). */
  async tagRead<T extends { commitSeq: number }>(read: () => Promise<T>): Promise<T> {
    const seq = this.applied;
    return { ...(await read()), commitSeq: seq };
  }

  /** Resolves true once `seq` is applied here, false after `timeoutMs`. */
  waitApplied(seq: number, timeoutMs: number): Promise<boolean> {
    if (seq <= this.applied) return Promise.resolve(true);
    return new Promise((resolve) => {
      const waiter = { seq, resolve: (ok: boolean) => (clearTimeout(timer), resolve(ok)) };
      const timer = setTimeout(() => {
        this.waiters = this.waiters.filter((w) => w !== waiter);
        resolve(false);
      }, timeoutMs);
      this.waiters.push(waiter);
    });
  }

  stats(): FeedStats {
    return { appliedSeq: this.applied, ...this.counters };
  }

  stop(): void {
    this.sub?.close();
    this.sub = null;
    for (const w of this.waiters.splice(0)) w.resolve(false);
  }

  private onMessage(m: DurableMessage): void {
    if (m.seq <= this.applied) return; // delivered again by a recreated consumer
    if (m.seq > this.applied + 1) {
      this.dropCaches(`stream messages ${this.applied + 1}..${m.seq - 1} expired before this node applied them`);
    }
    this.applied = m.seq;
    if (m.subject === this.names.resyncSubject) this.dropCaches('a publisher dropped committed candles at its bound');
    else this.applyCommitted(m);
    if (this.waiters.length > 0) {
      const ready = this.waiters.filter((w) => w.seq <= this.applied);
      this.waiters = this.waiters.filter((w) => w.seq > this.applied);
      for (const w of ready) w.resolve(true);
    }
  }

  private applyCommitted(m: DurableMessage): void {
    let segment;
    try {
      segment = decodeCommitted(m.data);
    } catch (err) {
      this.counters.badMessages++;
      log.error('unreadable committed message on the bus; skipped', { seq: m.seq, subject: m.subject, error: (err as Error).message });
      return;
    }
    const rows = candleCount(segment.data);
    this.counters.appliedMessages++;
    this.counters.appliedCandles += rows;
    this.apply({
      t: 'committed',
      commitSeq: m.seq,
      segments: [{ seriesId: segment.seriesId, data: segment.data, publish: segment.publish, head: segment.head }],
      mainAcks: [],
      rows,
      drainMs: 0,
      // On this node's monotonic clock, from the committing node's wall clock (same host or NTP).
      committedAtMs: monotonicMs() - Math.max(0, Date.now() - segment.committedAtWallMs),
    });
  }

  private dropCaches(why: string): void {
    this.counters.resyncs++;
    log.warn('dropping cached tails; they reload from the store', { why });
    this.resync(why);
  }
}
