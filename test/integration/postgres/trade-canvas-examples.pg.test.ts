import { it } from 'vitest';
import { storeTestGatewaysWith } from '../../support/gateway-harness.js';
import { pgSkipReason, usePgCluster } from '../../support/pg-cluster.js';

// trade_canvas's worked examples (the HTTP/WS contract), unchanged, with every gateway storing in
// a fresh PostgreSQL database of this file's cluster.
const skip = pgSkipReason();
if (skip) {
  it.skip(`trade_canvas worked examples on PostgreSQL — skipped, needs PostgreSQL: ${skip}`);
} else {
  const cluster = usePgCluster();
  storeTestGatewaysWith(async () => ({ store: 'postgres', pgUrl: await cluster().createDatabase() }));
  await import('../trade-canvas-examples.test.js');
}
