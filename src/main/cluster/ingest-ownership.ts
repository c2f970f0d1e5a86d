import { createLogger } from '../../shared/log.js';
import type { LeaseBucket } from '../bus/bus.js';
import { seriesOfLeaseKey } from '../bus/cluster-names.js';
import type { JobSource } from '../supervisor/job-table.js';
import { encodeLeaseValue, type NodeValue } from './lease-values.js';
import { NodeLiveness } from './node-liveness.js';
import { OwnerEntries } from './owner-entries.js';
import type { LeasedJobs, OwnershipBuckets, OwnershipStats } from './ownership-contract.js';
import { preferredNode } from './rendezvous.js';

const log = createLogger('cluster.leases');

/** Node-lease renewals per TTL: a node survives four missed renewals before its series can move. */
const TICKS_PER_TTL = 5;
/** A series no one took this many ticks after it became free is taken by any node, not only its preferred one. */
const GRACE_TICKS = 2;
/** Whitelisted series handed to their preferred node per tick (each move costs a short REST fill). */
const MAX_HANDOVERS_PER_TICK = 8;
/** A series handed over and taken back is not handed over again for this long (no ping-pong). */
const HANDOVER_QUIET_MS = 60_000;

interface Held {
  /** Revision of our owner entry: compare-and-set against it when giving the series up or checking it. */
  revision: number;
  readonly source: JobSource;
  readonly since: number;
}

/**
 * Which series this ingest node ingests (issue 14 §4). Ownership is two things in JetStream KV:
 * an owner entry per series naming its node (no TTL; written by compare-and-set only when a node
 * takes or releases the series), and one node lease per node (TTL = CLUSTER_LEASE_TTL_S) renewed
 * every tick. A series belongs to the node its owner entry names while that node's lease is alive,
 * so a tick costs one write however many series a node holds (it was one write per series).
 *
 * Every tick (a fifth of the TTL) a node renews its node lease, gives up what nobody wants any
 * more, and takes free series — no owner entry, or one naming a node whose lease has lapsed
 * (confirmed with the bucket, then a compare-and-set on that entry, so one taker wins): at once
 * when rendezvous hashing over the live ingest nodes prefers it, after a grace of two ticks
 * otherwise. It also hands whitelisted series to their preferred node when one joins. When a node
 * dies its lease lapses and the others take its series within about 1.2 TTL; the new owner's job
 * starts from the store's head and the REST gap fill covers the hole. A node that cannot renew
 * (NATS away) stops all its jobs once its last renewal is a whole TTL old — by the clock, not by
 * the bucket's answer — so two nodes overlap at most one tick (their upserts are idempotent).
 */
export class IngestOwnership {
  private readonly owned = new Map<string, Held>();
  private readonly freeSince = new Map<string, number>();
  private readonly handedOver = new Map<string, number>();
  private readonly counters = { taken: 0, lost: 0, released: 0, renewFailures: 0 };
  private readonly liveness: NodeLiveness;
  private readonly entries: OwnerEntries;
  /** When the last node-lease renewal that the bucket took was sent (0: none yet). */
  private renewedAt = 0;
  private timer: NodeJS.Timeout | undefined;
  /** Drops every job once the node lease is a TTL old, even while a tick hangs on an unreachable bus. */
  private watchdog: NodeJS.Timeout | undefined;
  private running: Promise<void> = Promise.resolve();
  private stopped = false;
  readonly tickMs: number;

  constructor(
    private readonly node: string,
    private readonly role: NodeValue['role'],
    ownersBucket: LeaseBucket,
    private readonly nodesBucket: LeaseBucket,
    private readonly mirrors: OwnershipBuckets,
    private readonly jobs: LeasedJobs,
    /** Whitelisted series this node may ingest (empty when whitelist ingest is off). */
    private readonly whitelist: readonly string[],
    /** ONDEMAND_MAX_JOBS of this node (0 = unlimited): it takes no on-demand series beyond it. */
    private readonly maxOndemand = 0,
    /** The clock (tests drive it); compared with the buckets' write times. */
    private readonly now: () => number = Date.now,
  ) {
    this.tickMs = Math.max(100, Math.round(nodesBucket.ttlMs / TICKS_PER_TTL));
    this.liveness = new NodeLiveness(mirrors.nodes, nodesBucket, now);
    this.entries = new OwnerEntries(ownersBucket, mirrors.owners, node, this.liveness);
  }

  start(): void {
    // A tick awaits the bucket; with NATS away each request waits for its timeout (seconds), so
    // the tick alone would notice a lapsed lease several TTLs late, while another node may already
    // ingest the series. The watchdog goes by the clock alone.
    this.watchdog = setInterval(() => this.dropIfLapsed(), this.tickMs);
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

  /** The owner of a series as this node last saw it (null: free — no entry, or its node is gone). */
  ownerOf(seriesId: string): string | null {
    if (this.owned.has(seriesId)) return this.node;
    const owner = this.entries.mirrored(seriesId)?.node ?? null;
    return owner !== null && owner !== this.node && this.liveness.isAlive(owner) ? owner : null;
  }

  /** Takes a free series now (an on-demand request reached this node). False when another node holds it. */
  async take(seriesId: string, source: JobSource): Promise<boolean> {
    if (this.owned.has(seriesId)) return true;
    if (!this.leaseAlive()) return false; // not renewed yet (start-up) or lapsed: a tick takes it later
    const revision = await this.entries.claim(seriesId, source);
    if (revision === null || this.owned.has(seriesId) || this.stopped) return revision !== null;
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

  /** Gives every series back at once (and the node lease), so other nodes take them on their next tick. */
  async releaseAll(): Promise<void> {
    await this.pause();
    const held = [...this.owned];
    // Only entries still ours (compare-and-set on their revision): one another node took stays.
    await Promise.all(held.map(([id, h]) => this.entries.remove(id, h.revision)));
    this.owned.clear();
    await this.nodesBucket.delete(this.node).catch(() => false);
    if (held.length > 0) log.info('leases released', { node: this.node, series: held.length });
  }

  /** One lease tick (start() runs them; exposed for tests, which drive the clock). */
  async tick(): Promise<void> {
    const now = this.now();
    await this.renewNodeLease(now);
    const wanted = this.wanted();
    for (const id of [...this.owned.keys()]) if (!wanted.has(id)) await this.release(id, 'no node wants it any more');
    await Promise.all([...this.owned.keys()].map((id) => this.confirm(id, now)));
    if (!this.leaseAlive()) return; // NATS away: take nothing until the node lease is renewed
    const live = this.liveness.liveIngestNodes(this.node, true, false);
    // On-demand series go to the nodes with room, so a full node neither takes one nor is waited for.
    const withRoom = this.liveness.liveIngestNodes(this.node, this.hasOndemandRoom(), true);
    const attempts: Array<Promise<void>> = [];
    for (const [id, source] of wanted) {
      if (this.owned.has(id) || this.ownerOf(id) !== null) {
        this.freeSince.delete(id);
        continue;
      }
      if (source === 'ondemand' && !this.hasOndemandRoom()) continue;
      const free = this.freeSince.get(id) ?? now;
      this.freeSince.set(id, free);
      const mine = this.entries.mirrored(id)?.node === this.node; // ours before a restart or a lapse: take it back at once
      const preferred = preferredNode(id, source === 'ondemand' ? withRoom : live) === this.node;
      if (mine || preferred || now - free >= GRACE_TICKS * this.tickMs) attempts.push(this.tryTake(id, source));
    }
    await Promise.all(attempts);
    await this.handOver(live, now);
  }

  /** Stops every job once the node lease's last renewal is a whole TTL old (start() checks every tick). */
  dropIfLapsed(): void {
    if (this.owned.size === 0 || this.leaseAlive()) return;
    for (const id of [...this.owned.keys()]) this.lose(id, 'node lease not renewed for a whole TTL (bus away?)');
  }

  /** Whether this node may take one more on-demand series. */
  hasOndemandRoom(): boolean {
    return this.maxOndemand <= 0 || this.ondemandHeld < this.maxOndemand;
  }

  /** Other live ingest nodes that reported room for an on-demand series on their last tick. */
  othersWithOndemandRoom(): string[] {
    return this.liveness.liveIngestNodes(this.node, false, true);
  }

  /** The live ingest nodes as their last tick reported them (ingest_state's `ingest_nodes`). */
  ingestNodes(): Array<Partial<NodeValue>> {
    return this.liveness.ingestNodes();
  }

  private leaseAlive(): boolean {
    return this.renewedAt > 0 && this.now() - this.renewedAt < this.nodesBucket.ttlMs;
  }

  private async renewNodeLease(now: number): Promise<void> {
    const value: NodeValue = { node: this.node, role: this.role, owned: this.owned.size, ondemand: this.ondemandHeld, max_ondemand: this.maxOndemand };
    try {
      await this.nodesBucket.put(this.node, encodeLeaseValue(value));
      // The time the renewal was sent: the bucket's TTL runs from no earlier than that.
      this.renewedAt = now;
    } catch (err) {
      this.counters.renewFailures++;
      log.warn('node lease not renewed (bus away?)', { node: this.node, error: (err as Error).message });
      this.dropIfLapsed();
    }
  }

  /** Whitelisted series (when whitelist ingest is on) and every series some node's subscribers asked for. */
  private wanted(): Map<string, JobSource> {
    const wanted = new Map<string, JobSource>();
    for (const key of this.mirrors.demand.freshKeys(this.now())) wanted.set(seriesOfLeaseKey(key), 'ondemand');
    for (const id of this.whitelist) wanted.set(id, 'whitelist');
    return wanted;
  }

  private async tryTake(seriesId: string, source: JobSource): Promise<void> {
    try {
      if (await this.take(seriesId, source)) this.freeSince.delete(seriesId);
    } catch (err) {
      log.warn('could not take a lease (bus away?)', { seriesId, error: (err as Error).message });
    }
  }

  private adopt(seriesId: string, source: JobSource, revision: number): void {
    this.owned.set(seriesId, { revision, source, since: this.now() });
    this.counters.taken++;
    log.info('lease taken; ingesting the series here', { seriesId, node: this.node, source });
  }

  /**
   * A series we hold whose owner entry names another node now (it judged our lease lapsed) is
   * lost; one whose entry is gone (deleted by hand) is claimed again, or lost to whoever has it.
   */
  private async confirm(seriesId: string, now: number): Promise<void> {
    const held = this.owned.get(seriesId)!;
    const entry = this.entries.mirrored(seriesId);
    if (entry && entry.revision >= held.revision) {
      if (entry.node === this.node) held.revision = entry.revision;
      else this.lose(seriesId, `another node holds it now (${entry.node ?? 'unreadable entry'})`);
      return;
    }
    if (entry || now - held.since < this.tickMs) return; // our write is not mirrored yet
    const revision = await this.entries.claim(seriesId, held.source).catch(() => undefined);
    if (revision === undefined || this.owned.get(seriesId) !== held) return; // bus away: the watchdog decides
    if (revision === null) this.lose(seriesId, 'another node holds it now');
    else held.revision = revision;
  }

  private lose(seriesId: string, why: string): void {
    this.owned.delete(seriesId);
    this.counters.lost++;
    log.warn('lease lost; stopping the job here', { seriesId, node: this.node, why });
    this.jobs.drop(seriesId);
  }

  private async release(seriesId: string, why: string): Promise<void> {
    const held = this.owned.get(seriesId)!;
    this.owned.delete(seriesId);
    this.counters.released++;
    this.jobs.drop(seriesId);
    await this.entries.remove(seriesId, held.revision);
    log.info('lease released', { seriesId, node: this.node, why });
  }

  /** Whitelisted series whose preferred node is another live node go to it, a few per tick. */
  private async handOver(live: readonly string[], now: number): Promise<void> {
    let moves = 0;
    for (const [id, held] of this.owned) {
      if (moves >= MAX_HANDOVERS_PER_TICK) break;
      if (held.source !== 'whitelist' || now - held.since < 2 * this.nodesBucket.ttlMs) continue;
      const preferred = preferredNode(id, live);
      if (preferred === null || preferred === this.node || now - (this.handedOver.get(id) ?? 0) < HANDOVER_QUIET_MS) continue;
      this.handedOver.set(id, now);
      moves++;
      await this.release(id, `handing it to ${preferred}, its preferred node`);
    }
  }
}
