/**
 * Every name a cluster uses on NATS, from its prefix (TRADE_CANVAS_BUS_PREFIX, default `kline`):
 * nodes with the same prefix on the same NATS form one cluster.
 *
 * Subjects name the series readably (`kline.closed.binance:spot:BTC/USDT:1m`), so an operator can
 * `nats sub 'kline.closed.>'`; the few characters NATS reserves in a token (`.`, `*`, `>`,
 * whitespace) and `%` itself are percent-encoded. Key-value keys allow fewer characters (no `:`),
 * so lease keys are the series id in base64url.
 */
export interface ClusterNames {
  /** The JetStream stream of committed candles. */
  readonly stream: string;
  readonly streamSubjects: readonly string[];
  closedSubject(seriesId: string): string;
  /** Where a publisher that dropped messages tells read nodes to reload from the store. */
  readonly resyncSubject: string;
  formingSubject(seriesId: string): string;
  readonly formingWildcard: string;
  /** Request/reply: on-demand ingest asked of the ingest nodes (queue group `ingest`). */
  readonly demandSubject: string;
  /** The same asked of one ingest node: a full node hands a request to one with room. */
  demandNodeSubject(node: string): string;
  /**
   * Key-value buckets: series owners (no TTL: an entry names the node while its node lease lives),
   * on-demand wants, live nodes (the node leases).
   */
  readonly ownersBucket: string;
  readonly demandBucket: string;
  readonly nodesBucket: string;
}

export function clusterNames(prefix: string): ClusterNames {
  return {
    stream: `${prefix}_closed`,
    streamSubjects: [`${prefix}.closed.>`, `${prefix}.control.>`],
    closedSubject: (seriesId) => `${prefix}.closed.${subjectToken(seriesId)}`,
    resyncSubject: `${prefix}.control.resync`,
    formingSubject: (seriesId) => `${prefix}.forming.${subjectToken(seriesId)}`,
    formingWildcard: `${prefix}.forming.>`,
    demandSubject: `${prefix}.ingest.demand`,
    demandNodeSubject: (node) => `${prefix}.ingest.demand-to.${subjectToken(node)}`,
    // Not `<prefix>_owners`: that name held per-series leases with a TTL before 2026-12-03.
    ownersBucket: `${prefix}_series_owners`,
    demandBucket: `${prefix}_demand`,
    nodesBucket: `${prefix}_nodes`,
  };
}

/** One subject token for a series id: reserved characters percent-encoded, so distinct ids stay distinct. */
export function subjectToken(seriesId: string): string {
  return seriesId.replace(/[%.*>\s]/g, (c) => {
    const code = c.charCodeAt(0);
    // %XX for one byte, %uXXXX beyond ('u' is no hex digit, so the two forms never collide).
    return code < 0x100 ? `%${hex(code, 2)}` : `%u${hex(code, 4)}`;
  });
}

function hex(code: number, digits: number): string {
  return code.toString(16).toUpperCase().padStart(digits, '0');
}

/** A key-value key for a series id (base64url: letters, digits, - and _ only). */
export function leaseKey(seriesId: string): string {
  return Buffer.from(seriesId, 'utf8').toString('base64url');
}

export function seriesOfLeaseKey(key: string): string {
  return Buffer.from(key, 'base64url').toString('utf8');
}
