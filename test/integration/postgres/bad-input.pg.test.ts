import { it } from 'vitest';
import { storeTestGatewaysWith } from '../../support/gateway-harness.js';
import { pgSkipReason, usePgCluster } from '../../support/pg-cluster.js';

// Bad input never hurts the gateway (contract §2, §3), unchanged, with every gateway storing in
// a fresh PostgreSQL database of this file's cluster.
const skip = pgSkipReason();
if (skip) {
  it.skip(`bad input on PostgreSQL — skipped, needs PostgreSQL: ${skip}`);
} else {
  const cluster = usePgCluster();
  storeTestGatewaysWith(async () => ({ store: 'postgres', pgUrl: await cluster().createDatabase() }));
  await import('../bad-input.test.js');
}
