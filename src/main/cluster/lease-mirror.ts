import type { BusSubscription, LeaseBucket, LeaseEntry } from '../bus/bus.js';

export interface MirroredLease {
  readonly value: Uint8Array;
  readonly revision: number;
  /** When its latest value was written (the server's clock). */
  readonly createdMs: number;
}

/**
 * A local copy of a lease bucket, kept by its watch. nats-server 2.9 sends no notice when an
 * entry reaches its TTL, so an entry is "fresh" only while younger than the bucket's TTL by the
 * local clock (a bucket without TTL: until deleted). That judgement is only a hint — who holds a lease is decided by the bucket's
 * compare-and-set — so a skewed clock costs a wasted attempt, never a second owner.
 */
export class LeaseMirror {
  private readonly entries = new Map<string, MirroredLease>();
  private sub: BusSubscription | null = null;

  constructor(readonly bucket: LeaseBucket) {}

  async start(): Promise<void> {
    this.sub = await this.bucket.watch((e) => this.onEntry(e));
  }

  stop(): void {
    this.sub?.close();
    this.sub = null;
  }

  get(key: string, nowMs: number): MirroredLease | null {
    const entry = this.entries.get(key);
    return entry && this.isFresh(entry, nowMs) ? entry : null;
  }

  /** Keys of every fresh entry. */
  freshKeys(nowMs: number): string[] {
    const keys: string[] = [];
    for (const [key, entry] of this.entries) {
      if (this.isFresh(entry, nowMs)) keys.push(key);
      else this.entries.delete(key);
    }
    return keys;
  }

  private isFresh(entry: MirroredLease, nowMs: number): boolean {
    return this.bucket.ttlMs === 0 || entry.createdMs + this.bucket.ttlMs > nowMs;
  }

  private onEntry(e: LeaseEntry): void {
    if (e.deleted) this.entries.delete(e.key);
    else this.entries.set(e.key, { value: e.value, revision: e.revision, createdMs: e.createdMs });
  }
}
