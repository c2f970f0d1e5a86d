import { it } from 'vitest';
import { readNodeOfClusterPerGateway } from '../../support/cluster-nodes.js';
import { natsSkipReason, useNats } from '../../support/nats-server.js';
import { pgSkipReason, usePgCluster } from '../../support/pg-cluster.js';

// trade_canvas's worked examples (the HTTP/WS contract), unchanged, against a read node of a
// 1 ingest + 2 read cluster: every test gateway is read node 2 of a cluster of its own. Its writes
// commit to PostgreSQL, go round the JetStream stream and reach its hub from there, as any commit does.
const skip = pgSkipReason() ?? natsSkipReason();
if (skip) {
  it.skip(`trade_canvas worked examples on a read node of a cluster — skipped, needs PostgreSQL and nats-server: ${skip}`);
} else {
  readNodeOfClusterPerGateway(usePgCluster(), useNats());
  await import('../trade-canvas-examples.test.js');
}
