import { createLogger } from '../../shared/log.js';
import type { LeaseBucket } from '../bus/bus.js';
import { leaseKey, seriesOfLeaseKey } from '../bus/cluster-names.js';
import type { JobSource } from '../supervisor/job-table.js';
import type { LeaseMirror } from './lease-mirror.js';
import { decodeLeaseValue, encodeLeaseValue, type NodeValue } from './lease-values.js';
import { preferredNode } from './rendezvous.js';

const log = createLogger('cluster.leases');

/** Renewals per lease TTL: a lease survives four missed renewals before it can move. */
const TICKS_PER_TTL = 5;
/** A series no one took this many ticks after it became free is taken by any node, not only its preferred one. */
const GRACE_TICKS = 2;
/** Whitelisted series handed to their preferred node per tick (each move costs a short REST fill). */
const MAX_HANDOVERS_PER_TICK = 8;
/** A series handed over and taken back is not handed over again for this long (no ping-pong). */
const HANDOVER_QUIET_MS = 60_000;

/** What the ownership drives on this node: the ingest supervisor's jobs. */
export interface LeasedJobs {
  hold(seriesId: string, source: JobSource): Promise<void>;
  drop(seriesId: string): void;
}

export interface OwnershipBuckets {
  readonly owners: LeaseMirror;
  readonly demand: LeaseMirror;
  readonly nodes: LeaseMirror;
}

interface Held {
  revision: number;
  readonly source: JobSource;
  readonly since: number;
  renewedAt: number;
}

export interface OwnershipStats {
  readonly owned: number;
  readonly taken: number;
  readonly lost: number;
  readonly released: number;
  readonly renewFailures: number;
}

/**
 * Which series this ingest node ingests (issue 14 §4): each wanted series (whitelisted, or asked
 * for on demand by some node's subscribers) has one owner, the node holding its lease in the
 * owners bucket (JetStream KV, compare-and-set, gone one TTL after its last renewal).
 *
 * Every tick (a fifth of the TTL) a node renews what it holds, gives up what nobody wants any more,
 * and takes free series: at once when rendezvous hashing over the live ingest nodes prefers it,
 * after a grace of two ticks otherwise (so whitelisted series spread over the nodes, and a series
 * whose preferred node does not come is still taken). A node also hands whitelisted series to
 * their preferred node when one joins. When a node dies its leases lapse and the others take its
 * series within about 1.2 TTL; the new owner's job starts from the store's head, and the REST gap
 * fill covers the hole. A node that cannot renew (NATS away) stops a job once its lease has
 * surely lapsed, so two nodes overlap at most one tick (their upserts are idempotent).
 */
export class IngestOwnership {
  private readonly owned = new Map<string, Held>();
  private readonly freeSince = new Map<string, number>();
  private readonly handedOver = new Map<string, number>();
  private readonly counters = { taken: 0, lost: 0, released: 0, renewFailures: 0 };
  private timer: NodeJS.Timeout | undefined;
  /** Drops leases not renewed for a TTL even while a tick hangs on an unreachable bus. */
  private watchdog: NodeJS.Timeout | undefined;
  private running: Promise<void> = Promise.resolve();
  private stopped = false;
  readonly tickMs: number;

  constructor(
    private readonly node: string,
    private readonly role: NodeValue['role'],
    private readonly ownersBucket: LeaseBucket,
    private readonly nodesBucket: LeaseBucket,
    private readonly mirrors: OwnershipBuckets,
    private readonly jobs: LeasedJobs,
    /** Whitelisted series this node may ingest (empty when whitelist ingest is off). */
    private readonly whitelist: readonly string[],
    /** ONDEMAND_MAX_JOBS of this node (0 = unlimited): it takes no on-demand series beyond it. */
    private readonly maxOndemand = 0,
  ) {
    this.tickMs = Math.max(100, Math.round(ownersBucket.ttlMs / TICKS_PER_TTL));
  }

  start(): void {
    // A tick awaits the bucket; with NATS away each request waits for its timeout (seconds), so
    // the tick alone would notice a lapsed lease several TTLs late, while another node may already
    // ingest the series. The watchdog goes by the clock alone.
    this.watchdog = setInterval(() => this.dropLapsed(Date.now()), this.tickMs);
    this.watchdog.unref();
    const loop = () => {
      if (this.stopped) return;
      this.running = this.tick().catch((err) => log.error('lease tick failed', { error: err }));
      void this.running.then(() => {
        if (!this.stopped) this.timer = setTimeout(loop, this.tickMs);
      });
    };
    loop();
  }

  /** The series this node holds, with the source that made them wanted. */
  holdings(): Array<{ seriesId: string; source: JobSource; since: number }> {
    return [...this.owned].map(([seriesId, h]) => ({ seriesId, source: h.source, since: h.since }));
  }

  owns(seriesId: string): boolean {
    return this.owned.has(seriesId);
  }

  get ondemandHeld(): number {
    let n = 0;
    for (const h of this.owned.values()) if (h.source === 'ondemand') n++;
    return n;
  }

  stats(): OwnershipStats {
    return { owned: this.owned.size, ...this.counters };
  }

  /** The owner of a series as this node last saw it (null: free, or unknown). */
  ownerOf(seriesId: string): string | null {
    if (this.owned.has(seriesId)) return this.node;
    const entry = this.mirrors.owners.get(leaseKey(seriesId), Date.now());
    return entry ? (decodeLeaseValue<{ node: string }>(entry.value)?.node ?? null) : null;
  }

  /** Takes a free series now (an on-demand request reached this node). False when another node holds it. */
  async take(seriesId: string, source: JobSource): Promise<boolean> {
    if (this.owned.has(seriesId)) return true;
    const revision = await this.ownersBucket.create(leaseKey(seriesId), encodeLeaseValue({ node: this.node, series_id: seriesId, source }));
    if (revision === null) return false;
    this.adopt(seriesId, source, revision);
    await this.jobs.hold(seriesId, source);
    return true;
  }

  /** Stops ticking (the supervisor then stops its jobs, flushing them). */
  async pause(): Promise<void> {
    this.stopped = true;
    clearTimeout(this.timer);
    clearInterval(this.watchdog);
    await this.running;
  }

  /** Gives every lease back at once, so other nodes take the series on their next tick. */
  async releaseAll(): Promise<void> {
    await this.pause();
    const ids = [...this.owned.keys()];
    await Promise.all(ids.map((id) => this.ownersBucket.delete(leaseKey(id)).catch(() => undefined)));
    this.owned.clear();
    await this.nodesBucket.delete(this.node).catch(() => undefined);
    if (ids.length > 0) log.info('leases released', { node: this.node, series: ids.length });
  }

  private async tick(): Promise<void> {
    const now = Date.now();
    await this.nodesBucket
      .put(
        this.node,
        encodeLeaseValue({ node: this.node, role: this.role, owned: this.owned.size, ondemand: this.ondemandHeld, max_ondemand: this.maxOndemand }),
      )
      .catch(() => undefined);
    const wanted = this.wanted(now);
    const live = this.liveIngestNodes(now);
    // On-demand series go to the nodes with room, so a full node neither takes one nor is waited for.
    const withRoom = this.liveIngestNodes(now, true);
    for (const id of [...this.owned.keys()]) if (!wanted.has(id)) await this.release(id, 'no node wants it any more');
    await Promise.all([...this.owned.keys()].map((id) => this.renew(id, now)));
    const attempts: Array<Promise<void>> = [];
    for (const [id, source] of wanted) {
      if (this.owned.has(id)) {
        this.freeSince.delete(id);
        continue;
      }
      if (this.mirrors.owners.get(leaseKey(id), now)) {
        this.freeSince.delete(id);
        continue;
      }
      if (source === 'ondemand' && !this.hasOndemandRoom()) continue;
      const free = this.freeSince.get(id) ?? now;
      this.freeSince.set(id, free);
      const preferred = preferredNode(id, source === 'ondemand' ? withRoom : live) === this.node;
      if (preferred || now - free >= GRACE_TICKS * this.tickMs) attempts.push(this.tryTake(id, source));
    }
    await Promise.all(attempts);
    await this.handOver(live, now);
  }

  /** Whitelisted series (when whitelist ingest is on) and every series some node's subscribers asked for. */
  private wanted(now: number): Map<string, JobSource> {
    const wanted = new Map<string, JobSource>();
    for (const key of this.mirrors.demand.freshKeys(now)) wanted.set(seriesOfLeaseKey(key), 'ondemand');
    for (const id of this.whitelist) wanted.set(id, 'whitelist');
    return wanted;
  }

  /** The live ingest nodes as their last tick reported them (ingest_state's `ingest_nodes`). */
  ingestNodes(): Array<Partial<NodeValue>> {
    const now = Date.now();
    const out: Array<Partial<NodeValue>> = [];
    for (const key of this.mirrors.nodes.freshKeys(now)) {
      const value = decodeLeaseValue<NodeValue>(this.mirrors.nodes.get(key, now)!.value);
      if (value?.role === 'ingest' || value?.role === 'all') out.push(value);
    }
    return out;
  }

  /** Whether this node may take one more on-demand series. */
  hasOndemandRoom(): boolean {
    return this.maxOndemand <= 0 || this.ondemandHeld < this.maxOndemand;
  }

  /** Other live ingest nodes that reported room for an on-demand series on their last tick. */
  othersWithOndemandRoom(): string[] {
    return this.liveIngestNodes(Date.now(), true).filter((n) => n !== this.node);
  }

  private liveIngestNodes(now: number, ondemandRoom = false): string[] {
    const nodes = new Set<string>();
    if (!ondemandRoom || this.hasOndemandRoom()) nodes.add(this.node);
    for (const key of this.mirrors.nodes.freshKeys(now)) {
      if (key === this.node) continue;
      const value = decodeLeaseValue<NodeValue>(this.mirrors.nodes.get(key, now)!.value);
      if (value?.role !== 'ingest' && value?.role !== 'all') continue;
      const room = !value.max_ondemand || (value.ondemand ?? 0) < value.max_ondemand;
      if (!ondemandRoom || room) nodes.add(key);
    }
    return [...nodes].sort();
  }

  private async tryTake(seriesId: string, source: JobSource): Promise<void> {
    try {
      if (await this.take(seriesId, source)) this.freeSince.delete(seriesId);
    } catch (err) {
      log.warn('could not take a lease (bus away?)', { seriesId, error: (err as Error).message });
    }
  }

  private adopt(seriesId: string, source: JobSource, revision: number): void {
    const now = Date.now();
    this.owned.set(seriesId, { revision, source, since: now, renewedAt: now });
    this.counters.taken++;
    log.info('lease taken; ingesting the series here', { seriesId, node: this.node, source });
  }

  /** Leases whose last renewal is a whole TTL old have lapsed in the bucket: stop their jobs. */
  private dropLapsed(now: number): void {
    for (const [id, held] of this.owned) if (now - held.renewedAt >= this.ownersBucket.ttlMs) this.lose(id, 'not renewed for a whole TTL (bus away?)');
  }

  private async renew(seriesId: string, now: number): Promise<void> {
    const held = this.owned.get(seriesId);
    if (!held) return; // lost meanwhile (the watchdog)
    const value = encodeLeaseValue({ node: this.node, series_id: seriesId, source: held.source });
    try {
      let revision = await this.ownersBucket.update(leaseKey(seriesId), value, held.revision);
      // Lapsed (a long pause, a bus outage) but nobody took it: take it again, the job never stopped.
      revision ??= await this.ownersBucket.create(leaseKey(seriesId), value);
      if (this.owned.get(seriesId) !== held) {
        // The watchdog gave it up while the request was out, yet the bucket took the renewal: no
        // other node can hold it (the revision matched), so ingest it here again.
        if (revision !== null && !this.owned.has(seriesId) && !this.stopped) {
          this.adopt(seriesId, held.source, revision);
          await this.jobs.hold(seriesId, held.source);
        }
        return;
      }
      if (revision === null) return this.lose(seriesId, 'another node holds it now');
      held.revision = revision;
      // The time the renewal was sent: the bucket's TTL runs from no earlier than that.
      held.renewedAt = now;
    } catch (err) {
      this.counters.renewFailures++;
      // Cannot reach the bucket: keep ingesting until the lease has surely lapsed, then stop.
      if (this.owned.get(seriesId) === held && Date.now() - held.renewedAt >= this.ownersBucket.ttlMs)
        this.lose(seriesId, `not renewed for a whole TTL (${(err as Error).message})`);
    }
  }

  private lose(seriesId: string, why: string): void {
    this.owned.delete(seriesId);
    this.counters.lost++;
    log.warn('lease lost; stopping the job here', { seriesId, node: this.node, why });
    this.jobs.drop(seriesId);
  }

  private async release(seriesId: string, why: string): Promise<void> {
    this.owned.delete(seriesId);
    this.counters.released++;
    this.jobs.drop(seriesId);
    await this.ownersBucket.delete(leaseKey(seriesId)).catch(() => undefined);
    log.info('lease released', { seriesId, node: this.node, why });
  }

  /** Whitelisted series whose preferred node is another live node go to it, a few per tick. */
  private async handOver(live: readonly string[], now: number): Promise<void> {
    let moves = 0;
    for (const [id, held] of this.owned) {
      if (moves >= MAX_HANDOVERS_PER_TICK) break;
      if (held.source !== 'whitelist' || now - held.since < 2 * this.ownersBucket.ttlMs) continue;
      const preferred = preferredNode(id, live);
      if (preferred === null || preferred === this.node || now - (this.handedOver.get(id) ?? 0) < HANDOVER_QUIET_MS) continue;
      this.handedOver.set(id, now);
      moves++;
      await this.release(id, `handing it to ${preferred}, its preferred node`);
    }
  }
}
