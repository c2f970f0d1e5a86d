import { parseSeriesId } from '../../domain/series-id.js';
import { decodeDemandRequest, encodeDemandReply, type DemandReply } from '../../protocol/bus-messages.js';
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

export interface DemandServiceOptions {
  readonly bus: Bus;
  readonly names: ClusterNames;
  readonly node: string;
  readonly demandBucket: LeaseBucket;
  readonly ownership: IngestOwnership;
  /** ONDEMAND_MAX_JOBS for this node (0 = unlimited). */
  readonly maxOndemand: number;
  /** Rejects with `unknown_symbol` when the exchange does not list the series' symbol. */
  readonly checkListed: (seriesId: string) => Promise<void>;
}

/**
 * The ingest side of an on-demand subscribe in a cluster (issue 14 §4): a read node's request
 * reaches one ingest node, which checks the symbol, records the demand (so every ingest node wants
 * the series while the demand lease lives) and, when nobody ingests the series yet, takes its
 * lease and starts the job — replying once the job's tail is covered, as a single node's subscribe
 * waits for it. A full node answers `capacity` (contract §3: `ondemand_ingest_capacity`).
 */
export class DemandService {
  private sub: BusSubscription | null = null;
  requests = 0;
  refused = 0;

  constructor(private readonly opts: DemandServiceOptions) {}

  start(): void {
    this.sub = this.opts.bus.serve(this.opts.names.demandSubject, DEMAND_QUEUE, async (data) => encodeDemandReply(await this.answer(data)));
  }

  stop(): void {
    this.sub?.close();
    this.sub = null;
  }

  private async answer(data: Uint8Array): Promise<DemandReply> {
    this.requests++;
    try {
      const { seriesId, node } = decodeDemandRequest(data);
      parseSeriesId(seriesId);
      if (!streamable(seriesId)) return { grant: 'served' };
      await this.opts.checkListed(seriesId);
      const { ownership } = this.opts;
      if (ownership.ownerOf(seriesId) === null && this.opts.maxOndemand > 0 && ownership.ondemandHeld >= this.opts.maxOndemand) {
        this.refused++;
        log.warn('on-demand ingest at capacity on this node; subscribe refused', { seriesId, from: node, maxJobs: this.opts.maxOndemand });
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
}
