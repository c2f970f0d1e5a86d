import { parseSeriesId } from '../../domain/series-id.js';
import {
  decodeDemandReply,
  decodeDemandRequest,
  encodeDemandReply,
  encodeDemandRequest,
  type DemandReply,
  type DemandRequest,
} from '../../protocol/bus-messages.js';
import { GatewayError, toWire } from '../../shared/errors.js';
import { createLogger } from '../../shared/log.js';
import type { Bus, BusSubscription, LeaseBucket } from '../bus/bus.js';
import { leaseKey, type ClusterNames } from '../bus/cluster-names.js';
import { streamable } from '../supervisor/worker-assignment.js';
import type { IngestOwnership } from './ingest-ownership.js';
import { encodeLeaseValue } from './lease-values.js';

const log = createLogger('cluster.demand');

/** Ingest nodes answer on-demand requests as one queue group: each request reaches one of them. */
export const DEMAND_QUEUE = 'ingest';
/** A relayed request waits for the other node's job start, tail coverage included (as the asking node does). */
const RELAY_TIMEOUT_MS = 60_000;

export interface DemandServiceOptions {
  readonly bus: Bus;
  readonly names: ClusterNames;
  readonly node: string;
  readonly demandBucket: LeaseBucket;
  readonly ownership: IngestOwnership;
  /** Rejects with `unknown_symbol` when the exchange does not list the series' symbol. */
  readonly checkListed: (seriesId: string) => Promise<void>;
}

/**
 * The ingest side of an on-demand subscribe in a cluster (issue 14 §4): a read node's request
 * reaches one ingest node, which checks the symbol, records the demand (so every ingest node wants
 * the series while the demand lease lives) and, when nobody ingests the series yet, takes its
 * lease and starts the job — replying once the job's tail is covered, as a single node's subscribe
 * waits for it. A full node hands the request to a node with room (one hop); when every node is
 * full it answers `capacity` (contract §3: `ondemand_ingest_capacity`).
 */
export class DemandService {
  private subs: BusSubscription[] = [];
  requests = 0;
  refused = 0;
  /** Requests this node was too full for and handed to a node with room. */
  relayed = 0;

  constructor(private readonly opts: DemandServiceOptions) {}

  start(): void {
    const { bus, names, node } = this.opts;
    const handle = async (data: Uint8Array) => encodeDemandReply(await this.answer(data));
    this.subs = [bus.serve(names.demandSubject, DEMAND_QUEUE, handle), bus.serve(names.demandNodeSubject(node), DEMAND_QUEUE, handle)];
  }

  stop(): void {
    for (const sub of this.subs) sub.close();
    this.subs = [];
  }

  private async answer(data: Uint8Array): Promise<DemandReply> {
    this.requests++;
    try {
      const request = decodeDemandRequest(data);
      const { seriesId, node } = request;
      parseSeriesId(seriesId);
      if (!streamable(seriesId)) return { grant: 'served' };
      await this.opts.checkListed(seriesId);
      const { ownership } = this.opts;
      if (ownership.ownerOf(seriesId) === null && !ownership.hasOndemandRoom()) {
        // Capacity is the cluster's: a node with room (as its last tick said) takes it instead.
        if (!request.relayed) {
          const reply = await this.relay(request, ownership.othersWithOndemandRoom());
          if (reply) return reply;
        }
        this.refused++;
        log.warn(
          request.relayed
            ? 'on-demand ingest at capacity here too; handed-on request refused'
            : 'on-demand ingest at capacity on every ingest node; subscribe refused',
          { seriesId, from: node, ondemandHeld: ownership.ondemandHeld },
        );
        return { grant: 'capacity' };
      }
      await this.opts.demandBucket.put(leaseKey(seriesId), encodeLeaseValue({ series_id: seriesId, node }));
      if (ownership.ownerOf(seriesId) === null && (await ownership.take(seriesId, 'ondemand'))) {
        log.info('on-demand series taken for a subscriber', { seriesId, from: node });
      }
      return { grant: 'ondemand' };
    } catch (err) {
      if (err instanceof GatewayError) return { error: toWire(err) };
      log.error('on-demand request failed', { error: err });
      return { error: { code: 'internal', message: 'internal error' } };
    }
  }

  /** Hands a request to the first of `nodes` that answers; null when none does (all full, or gone). */
  private async relay(request: DemandRequest, nodes: readonly string[]): Promise<DemandReply | null> {
    const { bus, names } = this.opts;
    for (const to of nodes) {
      try {
        const reply = decodeDemandReply(await bus.request(names.demandNodeSubject(to), encodeDemandRequest({ ...request, relayed: true }), RELAY_TIMEOUT_MS));
        if ('grant' in reply && reply.grant === 'capacity') continue;
        this.relayed++;
        log.info('on-demand ingest full here; handed to a node with room', { seriesId: request.seriesId, to });
        return reply;
      } catch (err) {
        log.warn('could not hand an on-demand request to another ingest node', { seriesId: request.seriesId, to, error: (err as Error).message });
      }
    }
    return null;
  }
}
