import { MessageChannel, type MessagePort } from 'node:worker_threads';
import { describe, expect, it } from 'vitest';
import { BulkSender } from '../../src/decode/bulk-sender.js';
import type { BatchAckMessage, ClosedBatchMessage } from '../../src/writer/contract.js';
import { packed } from '../support/candles.js';

const S = 'binance:spot:BTC/USDT:1m';

/** The test plays the writer's end of the port: it sees the batches and decides when to ack. */
function writerEnd() {
  const { port1, port2 } = new MessageChannel();
  const received: ClosedBatchMessage[] = [];
  let waiting: (() => void) | null = null;
  port2.on('message', (msg: ClosedBatchMessage) => {
    received.push(msg);
    waiting?.();
  });
  return {
    port: port1,
    writer: port2 as MessagePort,
    received,
    ack: (seq: number, ok = true) =>
      port2.postMessage({
        t: 'ack',
        seq,
        ok,
        committed: ok ? 1 : 0,
        ...(ok ? {} : { error: { code: 'shutting_down', message: 'writer is closing' } }),
      } satisfies BatchAckMessage),
    until: (n: number) => new Promise<void>((resolve) => (received.length >= n ? resolve() : (waiting = () => received.length >= n && resolve()))),
  };
}

const tick = () => new Promise((r) => setTimeout(r, 20));

describe('BulkSender', () => {
  it('keeps at most maxInFlight batches unacked, as bulk history that is not published', async () => {
    const end = writerEnd();
    const sender = new BulkSender(end.port, { maxInFlight: 2, publish: false });
    await sender.send(S, packed([60]));
    await sender.send(S, packed([120]));
    let thirdSent = false;
    const third = sender.send(S, packed([180])).then(() => (thirdSent = true));
    await end.until(2);
    await tick();
    expect(thirdSent).toBe(false);
    expect(end.received).toHaveLength(2);
    expect(end.received[0]).toMatchObject({ t: 'closed', seq: 1, series: [S], counts: [1], publish: false, bulk: true });
    end.ack(1);
    await third;
    await end.until(3);
    end.ack(2);
    end.ack(3);
    expect(await sender.drain()).toBe(3);
    sender.close();
  });

  it("fails the import with the writer's code when a batch is refused", async () => {
    const end = writerEnd();
    const sender = new BulkSender(end.port, { maxInFlight: 4, publish: false });
    await sender.send(S, packed([60]));
    end.ack(1, false);
    await expect(sender.drain()).rejects.toMatchObject({ code: 'shutting_down' });
    await expect(sender.send(S, packed([120]))).rejects.toMatchObject({ code: 'shutting_down' });
    sender.close();
  });

  it('fails instead of waiting forever when the writer end closes with batches in flight', async () => {
    const end = writerEnd();
    const sender = new BulkSender(end.port, { maxInFlight: 4, publish: false });
    await sender.send(S, packed([60]));
    await end.until(1);
    end.writer.close();
    await expect(sender.drain()).rejects.toMatchObject({ code: 'store_failed' });
  });
});
