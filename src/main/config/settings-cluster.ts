import { int, num, oneOf, str } from './setting-kinds.js';
import { setting } from './setting-spec.js';

/** Cluster settings: several nodes over NATS JetStream (docs/operations.md "Running several nodes"). */
export const CLUSTER_SETTINGS = {
  role: setting(
    'cluster',
    'ROLE',
    oneOf('all', ['all', 'ingest', 'read'] as const),
    'What this node does: all = ingest and serve; ingest = own Binance jobs (leases), serve HTTP/WS too; read = serve HTTP/WS only. ingest and read need BUS=nats and STORE=postgres.',
  ),
  bus: setting(
    'cluster',
    'BUS',
    oneOf('none', ['none', 'nats'] as const),
    'none = one node (committed candles go straight to its hub); nats = committed candles, forming candles and ingest leases travel over NATS JetStream (needs STORE=postgres).',
  ),
  natsUrl: setting('cluster', 'NATS_URL', str('', 'nats://host:port[,nats://host:port…]'), 'NATS server(s) of the cluster, required with BUS=nats.'),
  nodeName: setting(
    'cluster',
    'NODE_NAME',
    str('', 'letters, digits, - and _; empty = <hostname>-<pid>'),
    "This node's name in leases, logs, metrics and ingest_state; unique in the cluster.",
  ),
  busSubjectPrefix: setting(
    'cluster',
    'BUS_PREFIX',
    str('kline', 'a NATS subject token (letters, digits, - and _)'),
    "Prefix of the cluster's subjects, stream and buckets: nodes with the same prefix form one cluster.",
  ),
  busStreamMaxAgeS: setting(
    'cluster',
    'BUS_STREAM_MAX_AGE_S',
    int(3600, 60, 30 * 86_400),
    'How long the JetStream stream keeps committed candles: the longest bus outage a read node resumes from without dropping its cache.',
  ),
  busMaxPendingCandles: setting(
    'cluster',
    'BUS_MAX_PENDING_CANDLES',
    int(1_000_000, 1000, 100_000_000),
    'Committed candles waiting to be published on the bus (NATS unreachable); past it they are dropped (metric + log) and read nodes are told to reload from the store.',
  ),
  clusterLeaseTtlS: setting(
    'cluster',
    'CLUSTER_LEASE_TTL_S',
    num(6, 1, 60),
    "How long an ingest node's lease (one per node; its series are its own while it lives) outlives its last renewal (renewed every fifth of it): a dead node's series move to another within about 1.2x this.",
  ),
} as const;
