import { it } from 'vitest';
import { readNodeOfClusterPerGateway } from '../../support/cluster-nodes.js';
import { natsSkipReason, useNats } from '../../support/nats-server.js';
import { pgSkipReason, usePgCluster } from '../../support/pg-cluster.js';

// Bad input never hurts the gateway (contract §2, §3), unchanged, against read node 2 of a
// 1 ingest + 2 read cluster of its own for every test gateway.
const skip = pgSkipReason() ?? natsSkipReason();
if (skip) {
  it.skip(`bad input on a read node of a cluster — skipped, needs PostgreSQL and nats-server: ${skip}`);
} else {
  readNodeOfClusterPerGateway(usePgCluster(), useNats());
  await import('../bad-input.test.js');
}
