import { MessageChannel, type MessagePort } from 'node:worker_threads';
import { afterEach, describe, expect, it } from 'vitest';
import { WriterProducer, type BatchAckMessage, type ClosedBatchMessage, type ProducerOptions } from '../../src/writer/contract.js';
import { packed } from '../support/candles.js';

const S = 'binance:spot:BTC/USDT:1m';
const batch = (times: number[]) => ({ series: [S], counts: [times.length], data: packed(times), publish: true });

/** The writer's end of a real producer port: what arrived, and acks on demand. */
function writerEnd() {
  const { port1, port2 } = new MessageChannel();
  const received: ClosedBatchMessage[] = [];
  port2.on('message', (msg: ClosedBatchMessage) => received.push(msg));
  const post = (ack: BatchAckMessage) => port2.postMessage(ack);
  return {
    port: port1,
    writer: port2 as MessagePort,
    received,
    ok: (seq: number) => post({ t: 'ack', seq, ok: true, committed: 1 }),
    refuse: (seq: number) => post({ t: 'ack', seq, ok: false, committed: 0, error: { code: 'overloaded', message: 'writer queue full' } }),
    commitFailed: (seq: number) =>
      post({ t: 'ack', seq, ok: false, committed: 0, retrying: true, error: { code: 'store_failed', message: 'commit failed: disk I/O error' } }),
    until: async (n: number) => {
      while (received.length < n) await new Promise((r) => setTimeout(r, 2));
    },
  };
}

describe('WriterProducer', () => {
  const ports: MessagePort[] = [];
  const open = (opts: Partial<ProducerOptions> = {}) => {
    const end = writerEnd();
    ports.push(end.port, end.writer);
    const producer = new WriterProducer({ window: 4, mode: 'transfer', commitFailure: 'reject', ...opts });
    producer.connect(end.port);
    return { end, producer };
  };
  afterEach(() => ports.splice(0).forEach((p) => p.close()));

  it('numbers batches, resolves each with its candle count on ack, and keeps a window', async () => {
    const { end, producer } = open({ window: 2 });
    const first = producer.send(batch([60, 120]));
    const second = producer.send(batch([180]));
    expect(producer.room).toBe(0);
    expect(() => producer.send(batch([240]))).toThrow(expect.objectContaining({ code: 'overloaded' }));
    let roomAgain = false;
    const room = producer.whenRoom().then(() => (roomAgain = true));
    await end.until(2);
    expect(end.received.map((m) => [m.t, m.seq, m.counts])).toEqual([
      ['closed', 1, [2]],
      ['closed', 2, [1]],
    ]);
    expect(roomAgain).toBe(false);
    end.ok(1);
    expect(await first).toBe(2);
    await room;
    end.ok(2);
    expect(await second).toBe(1);
    expect(producer.stats()).toMatchObject({ unacked: 0, unackedCandles: 0, sent: 2 });
  });

  it("rejects a refused batch with the writer's code", async () => {
    const { end, producer } = open();
    const sent = producer.send(batch([60]));
    await end.until(1);
    end.refuse(1);
    await expect(sent).rejects.toMatchObject({ code: 'overloaded' });
  });

  it("answers a failed commit at once with commitFailure 'reject' (HTTP writes)", async () => {
    const { end, producer } = open({ commitFailure: 'reject' });
    const sent = producer.send(batch([60]));
    await end.until(1);
    end.commitFailed(1);
    await expect(sent).rejects.toMatchObject({ code: 'store_failed', message: expect.stringContaining('disk I/O error') });
    expect(producer.stats()).toMatchObject({ failedCommits: 1, unacked: 0 });
  });

  it("keeps waiting through failed commits with commitFailure 'wait' until the writer's retry commits", async () => {
    const failures: BatchAckMessage[] = [];
    const { end, producer } = open({ commitFailure: 'wait', onCommitFailed: (ack) => failures.push(ack) });
    let settled = false;
    const sent = producer.send(batch([60])).finally(() => (settled = true));
    await end.until(1);
    end.commitFailed(1);
    end.commitFailed(1);
    await new Promise((r) => setTimeout(r, 20));
    expect(settled).toBe(false);
    expect(failures).toHaveLength(2);
    expect(producer.stats()).toMatchObject({ failedCommits: 2, unacked: 1 });
    end.ok(1);
    expect(await sent).toBe(1);
  });

  it('transfer mode hands the buffer over; a lost writer fails what it held, and nothing is sent without one', async () => {
    const { end, producer } = open({ mode: 'transfer' });
    const data = packed([60]);
    const sent = producer.send({ series: [S], counts: [1], data, publish: true });
    expect(data.byteLength).toBe(0);
    await end.until(1);
    expect(Array.from(end.received[0]!.data)).toEqual(Array.from(packed([60])));
    end.writer.close();
    await expect(sent).rejects.toMatchObject({ code: 'store_failed' });
    expect(() => producer.send(batch([120]))).toThrow(expect.objectContaining({ code: 'store_failed' }));
  });

  it('copy mode keeps every unacked batch and sends them again, in order, to the next writer', async () => {
    const dead = open({ mode: 'copy', commitFailure: 'wait' });
    const { producer } = dead;
    const data = packed([60]);
    const results = [producer.send({ series: [S], counts: [1], data, publish: true }), producer.send(batch([120])), producer.send(batch([180]))];
    expect(data.byteLength).toBeGreaterThan(0);
    await dead.end.until(3);
    dead.end.ok(1);
    await results[0];
    dead.end.writer.close(); // the writer thread died with batches 2 and 3
    await new Promise((r) => setTimeout(r, 20));
    expect(producer.stats()).toMatchObject({ unacked: 2, resent: 0 });

    const next = writerEnd();
    ports.push(next.port, next.writer);
    producer.connect(next.port);
    await next.until(2);
    expect(next.received.map((m) => [m.seq, m.data[0]])).toEqual([
      [2, 120],
      [3, 180],
    ]);
    next.ok(2);
    next.ok(3);
    expect(await Promise.all(results)).toEqual([1, 1, 1]);
    expect(producer.stats()).toMatchObject({ unacked: 0, resent: 2, attaches: 2 });
  });
});
