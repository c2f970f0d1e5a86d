import type { Candle } from '../../domain/candle.js';
import { decodeForming, encodeForming } from '../../protocol/bus-messages.js';
import { createLogger } from '../../shared/log.js';
import type { Bus, BusSubscription } from './bus.js';
import type { ClusterNames } from './cluster-names.js';

const log = createLogger('bus.forming');

/**
 * Forming candles across the cluster, on core NATS (at most once, never stored: invariant 2).
 * Whatever forms here (an ingest worker's throttled updates, the debug forming route) is published
 * on the series' subject, and every node, this one included, hands what it receives to its hub:
 * one path, so a client sees the same forming stream whichever node it talks to.
 */
export class FormingRelay {
  private sub: BusSubscription | null = null;
  received = 0;
  published = 0;
  badMessages = 0;

  constructor(
    private readonly bus: Bus,
    private readonly names: ClusterNames,
    private readonly node: string,
  ) {}

  /** Starts handing every forming candle on the bus to `hub`. */
  start(hub: { publishForming(seriesId: string, candle: Candle): unknown }): void {
    this.sub = this.bus.subscribe(this.names.formingWildcard, (_subject, data) => {
      let m;
      try {
        m = decodeForming(data);
      } catch (err) {
        this.badMessages++;
        log.warn('unreadable forming message on the bus; skipped', { error: (err as Error).message });
        return;
      }
      this.received++;
      hub.publishForming(m.seriesId, m.candle);
    });
  }

  publishForming(seriesId: string, candle: Candle): void {
    this.published++;
    this.bus.publish(this.names.formingSubject(seriesId), encodeForming({ seriesId, candle, node: this.node }));
  }

  stop(): void {
    this.sub?.close();
    this.sub = null;
  }
}
