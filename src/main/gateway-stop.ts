import { createLogger } from '../shared/log.js';
import type { ClusterBus } from './bus/cluster-bus.js';
import type { Holes } from './holes/holes.js';
import type { History } from './history/history-service.js';
import type { MarketHub } from './hub/market-hub.js';
import type { MarketServices } from './market/market-services.js';
import type { Transport } from './server/transport.js';
import type { StoreOwnership } from './store/store-ownership.js';
import type { WorkerStore } from './store/worker-store.js';
import type { IngestPlugin } from './supervisor/ingest-plugin.js';

const log = createLogger('gateway');

/** Longest a graceful stop waits for its last commits to go round the bus to its own clients. */
const BUS_SETTLE_MS = 5000;

/** What a running gateway stops, each part once. */
export interface RunningParts {
  readonly transport: Transport;
  readonly markets: MarketServices;
  readonly ingest: IngestPlugin | null;
  readonly holes: Holes;
  readonly history: History | null;
  readonly store: WorkerStore;
  readonly cluster: ClusterBus | null;
  readonly hub: MarketHub;
  readonly ownership: StoreOwnership;
}

/**
 * The graceful stop, in architecture.md's order: no new connections; ingest jobs stop and flush
 * their batches; the writer commits everything accepted and its last commits are published (in a
 * cluster: round the bus to this node's own clients); then the WebSockets close with 1001 and the
 * store's owner file is released. Resolves when everything accepted is committed; rejects with
 * the store's failure when its last commit could not be made (the CLI exits 1).
 */
export async function stopGracefully(parts: RunningParts): Promise<void> {
  const { transport, ingest, history, store, cluster, hub } = parts;
  log.info('stopping: no new connections');
  transport.stopListening();
  parts.markets.close(); // market-list streams end, their pollers stop
  if (ingest) {
    log.info('stopping ingest jobs (flushing their batches)');
    await ingest.stop();
  }
  parts.holes.close(); // no coverage retries from here on
  // Running imports stop with the pool; what they sent before is committed with the rest.
  await history?.close();
  log.info('writer: committing everything accepted');
  // Its final commits are published before this resolves. If it fails (a commit that cannot
  // succeed), clients are still told and the owner file released (the store repaired the
  // lock), and the stop reports the failure (exit 1).
  const storeClosed = await store.close().then(
    () => null,
    (err: unknown) => ({ err }),
  );
  // The final commits reach this node's clients through the bus, like every other commit.
  await cluster?.settle(BUS_SETTLE_MS);
  hub.flusher.flushAll();
  log.info('closing WebSockets (1001 server_shutdown)', { clients: transport.webSocketCount });
  transport.closeAllWebSockets(1001, 'server_shutdown');
  transport.endAllStreams();
  // Idle keep-alive connections would otherwise outlive the stop, answering 503 from a stopped
  // gateway (in-process restarts, embedders). The CLI exits right after, which is no gentler to
  // a socket still flushing its close frame.
  transport.close();
  await cluster?.close();
  await parts.ownership.release();
  if (storeClosed) throw storeClosed.err;
  log.info('stopped');
}
