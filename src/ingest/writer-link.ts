import type { MessagePort } from 'node:worker_threads';
import type { BatchAckMessage, ClosedBatchMessage, ProducerInbound } from '../writer/contract.js';

/**
 * An ingest worker's end of its producer port to the writer. Every batch is kept until the writer
 * acks it (the ack comes after the commit), because a writer thread can die with batches on its
 * port or in its queue: the main thread restarts it and hands us a new port (`attach`), and
 * everything unacked is sent again in the original order. A batch the dead writer had already
 * committed is then written twice — harmless, the store upserts — and the hub drops what a
 * subscriber already has (contract §3 dedupe).
 *
 * Batches are posted without a transfer list, so the structured clone copies the buffer and the
 * kept message stays valid: one memcpy of at most BINANCE_WS_BATCH_MAX rows per batch.
 * Unacked batches are bounded by the batcher's in-flight limit (closed-batcher.ts).
 */
export interface WriterLinkStats {
  unacked: number;
  /** Batches sent again after the writer port was replaced. */
  resent: number;
  attaches: number;
}

export class WriterLink {
  private port: MessagePort | undefined;
  private readonly unacked = new Map<number, ClosedBatchMessage>();
  private readonly counters = { resent: 0, attaches: 0 };

  constructor(private readonly onAck: (ack: BatchAckMessage) => void) {}

  /** A (new) port to the writer: the old one is dropped, unacked batches go again, oldest first. */
  attach(port: MessagePort): void {
    this.port?.close();
    this.port = port;
    this.counters.attaches++;
    port.on('message', (msg: ProducerInbound) => {
      if (this.port !== port || msg.t !== 'ack') return;
      if (!this.unacked.delete(msg.seq)) return;
      this.onAck(msg);
    });
    // Map iteration follows insertion, which is send order.
    for (const msg of this.unacked.values()) {
      port.postMessage(msg);
      if (this.counters.attaches > 1) this.counters.resent++;
    }
  }

  /** Sends a batch (now, or once a port is attached) and keeps it until acked. */
  send(msg: ClosedBatchMessage): void {
    this.unacked.set(msg.seq, msg);
    this.port?.postMessage(msg);
  }

  stats(): WriterLinkStats {
    return { unacked: this.unacked.size, ...this.counters };
  }

  close(): void {
    this.port?.close();
    this.port = undefined;
  }
}
