import type { BusSubscription, LeaseBucket, LeaseEntry } from './bus.js';

/** A key-value entry as the NATS KV client gives it (the fields used here). */
interface KvEntry {
  readonly key: string;
  readonly value: Uint8Array;
  readonly revision: number;
  readonly created: Date;
  readonly operation: string;
}

/** What reopens a subscription after each reconnect (NatsBus). */
interface Reconnecting {
  resubscribeOnReconnect(what: string, open: () => Promise<() => void>): Promise<BusSubscription>;
}

/**
 * The part of the NATS KV client (`@nats-io/kv`'s `KV`) a lease bucket uses, described here so
 * that nats-bus.ts stays the one module importing the NATS client (the lint rule) while the
 * bucket's own rules live in their own file.
 */
export interface KvStore {
  create(key: string, value: Uint8Array): Promise<number>;
  update(key: string, value: Uint8Array, revision: number): Promise<number>;
  put(key: string, value: Uint8Array): Promise<number>;
  get(key: string): Promise<KvEntry | null>;
  delete(key: string, options?: { previousSeq: number }): Promise<void>;
  watch(): Promise<AsyncIterable<KvEntry> & { stop(): void }>;
}

/** A compare-and-set failure: the key is someone else's (or gone), not an error of the bus. */
const CAS_FAILED = /wrong last sequence|key exists/i;

/**
 * A LeaseBucket (bus.ts) over a JetStream KV bucket: compare-and-set writes whose failures (the
 * key is someone else's, or gone) answer null instead of throwing, and a watch reopened after
 * every reconnect.
 */
export class NatsLeaseBucket implements LeaseBucket {
  constructor(
    private readonly bus: Reconnecting,
    private readonly kv: KvStore,
    readonly ttlMs: number,
  ) {}

  async create(key: string, value: Uint8Array): Promise<number | null> {
    return this.kv.create(key, value).catch(casFailure);
  }

  async update(key: string, value: Uint8Array, revision: number): Promise<number | null> {
    return this.kv.update(key, value, revision).catch(casFailure);
  }

  put(key: string, value: Uint8Array): Promise<number> {
    return this.kv.put(key, value);
  }

  async get(key: string): Promise<LeaseEntry | null> {
    const e = await this.kv.get(key);
    if (!e || e.operation !== 'PUT') return null;
    return { key: e.key, value: e.value, revision: e.revision, createdMs: e.created.getTime(), deleted: false };
  }

  async delete(key: string, revision?: number): Promise<boolean> {
    return this.kv.delete(key, revision ? { previousSeq: revision } : undefined).then(
      () => true,
      (err: unknown) => casFailure(err) ?? false,
    );
  }

  async watch(onEntry: (entry: LeaseEntry) => void): Promise<BusSubscription> {
    // Reopened after each reconnect (a restarted server forgot the watch); it replays every
    // current entry first, so the mirror is whole again.
    return this.bus.resubscribeOnReconnect(`lease watch`, async () => {
      const watcher = await this.kv.watch();
      void (async () => {
        for await (const e of watcher) {
          onEntry({ key: e.key, value: e.value, revision: e.revision, createdMs: e.created.getTime(), deleted: e.operation !== 'PUT' });
        }
      })();
      return () => void watcher.stop();
    });
  }
}

function casFailure(err: unknown): null {
  if (err instanceof Error && CAS_FAILED.test(err.message)) return null;
  throw err;
}
