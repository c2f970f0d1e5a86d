/**
 * The message bus between the nodes of a cluster (docs/architecture.md "Several nodes"), as the
 * rest of the gateway sees it. Only nats-bus.ts knows NATS; the publisher, the feed, the forming
 * relay and the ingest leases are written against this interface.
 */

/** A message of the durable stream, with its stream sequence. */
export interface DurableMessage {
  readonly seq: number;
  readonly subject: string;
  readonly data: Uint8Array;
}

/** Something that stops delivering when closed. */
export interface BusSubscription {
  close(): void;
}

export interface PublishAck {
  readonly seq: number;
  /** The stream had this message id already (a retry of something stored): `seq` is the original. */
  readonly duplicate: boolean;
}

/** Connection events, for logs, readiness and /metrics. */
export type BusEvent = 'disconnected' | 'reconnected' | 'consumer_reset';

/** A lease entry as a bucket holds it: `createdMs` is when its latest value was written. */
export interface LeaseEntry {
  readonly key: string;
  readonly value: Uint8Array;
  readonly revision: number;
  readonly createdMs: number;
  /** Deleted or purged (a release); an entry past its TTL simply stops being listed. */
  readonly deleted: boolean;
}

/**
 * A key-value bucket whose entries vanish `ttlMs` after their last write (JetStream KV with the
 * bucket's max age: nats-server 2.9 has no per-key TTL), or never when `ttlMs` is 0. Creation and
 * update are compare-and-set, which is what makes a lease or an owner entry exclusive.
 */
export interface LeaseBucket {
  /** 0: entries stay until deleted. */
  readonly ttlMs: number;
  /** Creates the key; null when it exists (someone holds it). */
  create(key: string, value: Uint8Array): Promise<number | null>;
  /** Rewrites the key if its revision is still `revision`; null when it changed or expired. */
  update(key: string, value: Uint8Array, revision: number): Promise<number | null>;
  put(key: string, value: Uint8Array): Promise<number>;
  /** The key's entry as the server holds it now (not a mirror's copy); null when absent or deleted. */
  get(key: string): Promise<LeaseEntry | null>;
  /** Deletes the key; with `revision`, only while it is still that revision (false when it changed). */
  delete(key: string, revision?: number): Promise<boolean>;
  /** Every current entry, then every change, until closed (the client resumes after reconnects). */
  watch(onEntry: (entry: LeaseEntry) => void): Promise<BusSubscription>;
}

export interface Bus {
  readonly connected: boolean;
  /** Times the connection came back after a loss. */
  readonly reconnects: number;
  /** The server this node is connected to (for logs). */
  readonly server: string;
  /**
   * Publishes on the durable stream and waits for the stream's ack. `msgId` makes a retry of the
   * same message a no-op within the stream's duplicate window.
   */
  publishDurable(subject: string, data: Uint8Array, msgId: string, timeoutMs: number): Promise<PublishAck>;
  /** The stream's first and last sequence (0 when empty). */
  streamState(): Promise<{ firstSeq: number; lastSeq: number }>;
  /**
   * Delivers every stream message from `fromSeq` on, in stream order, one at a time; after a
   * reconnect (or a server restart) delivery resumes after the last message delivered.
   */
  consumeDurable(fromSeq: number, onMessage: (msg: DurableMessage) => void): Promise<BusSubscription>;
  /** Core NATS: at most once, never stored. */
  publish(subject: string, data: Uint8Array): void;
  subscribe(subject: string, onMessage: (subject: string, data: Uint8Array) => void): BusSubscription;
  /** Answers requests on `subject`; one member of `queue` gets each request. */
  serve(subject: string, queue: string, handler: (data: Uint8Array) => Promise<Uint8Array>): BusSubscription;
  /** Rejects with `unavailable` when nobody serves the subject or nobody answers in time. */
  request(subject: string, data: Uint8Array, timeoutMs: number): Promise<Uint8Array>;
  /** The bucket `name`, created with `ttlMs` (0: no TTL) if missing; an existing bucket keeps its own TTL. */
  leases(name: string, ttlMs: number): Promise<LeaseBucket>;
  onEvent(listener: (event: BusEvent) => void): void;
  /** Flushes what was published, then closes. */
  close(): Promise<void>;
}
