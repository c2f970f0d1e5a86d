import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { CANDLE_STRIDE } from '../../src/domain/candle.js';
import type { BatchAckMessage, ClosedBatchMessage, CommittedMessage, MainInbound } from '../../src/writer/contract.js';
import { SqliteCandleStore } from '../../src/writer/sqlite-candle-store.js';
import { MAIN_SOURCE, WriterCore } from '../../src/writer/writer-core.js';
import { packed } from '../support/candles.js';
import { useTempDir } from '../support/temp-dir.js';

const H = 'binance:spot:BTC/USDT:1m';
const L = 'binance:spot:ETH/USDT:1m';

function bulkBatch(seq: number, firstTime: number, rows: number): ClosedBatchMessage {
  const data = new Float64Array(rows * CANDLE_STRIDE);
  for (let i = 0; i < rows; i++) data.set([firstTime + 60 * i, 1, 2, 0.5, 1.5, 10], i * CANDLE_STRIDE);
  return { t: 'closed', seq, series: [H], counts: [rows], data, publish: false, bulk: true };
}

function liveBatch(seq: number, time: number): ClosedBatchMessage {
  return { t: 'closed', seq, series: [L], counts: [1], data: packed([time]), publish: true };
}

describe('writer core: bulk history next to live batches', async () => {
  const tempDir = useTempDir();
  let store: SqliteCandleStore | null = null;
  afterEach(() => store?.close());

  function core() {
    store = new SqliteCandleStore(join(tempDir(), 'w.db'));
    const commits: CommittedMessage[] = [];
    const acks: BatchAckMessage[] = [];
    const writer = new WriterCore(store, {
      maxPendingCandles: 1_000_000,
      toMain: (msg: MainInbound) => msg.t === 'committed' && commits.push(msg),
      toProducer: (_source, ack) => acks.push(ack),
    });
    return { writer, commits, acks };
  }

  it('writes bulk in 50k-row slices, one per transaction, acking each batch after its commit', async () => {
    const { writer, commits, acks } = core();
    writer.accept('import', bulkBatch(1, 60, 30_000));
    writer.accept('import', bulkBatch(2, 60 * 30_001, 30_000));
    writer.accept('import', bulkBatch(3, 60 * 60_001, 10_000));
    await writer.drain();
    expect(commits.map((c) => c.rows)).toEqual([30_000]); // a second 30k batch would pass 50k
    expect(acks).toEqual([{ t: 'ack', seq: 1, ok: true, committed: 30_000 }]);
    await writer.drain();
    expect(commits.map((c) => c.rows)).toEqual([30_000, 40_000]);
    expect(acks.map((a) => a.seq)).toEqual([1, 2, 3]);
    expect(commits[1]!.segments).toEqual([expect.objectContaining({ seriesId: H, publish: false })]);
    expect(store!.count(H)).toBe(70_000);
  });

  it('never makes a live batch wait for two bulk slices: after a bulk drain, live goes alone', async () => {
    const { writer, commits } = core();
    writer.accept('import', bulkBatch(1, 60, 50_000));
    writer.accept('import', bulkBatch(2, 60 * 50_001, 50_000));
    writer.accept(MAIN_SOURCE, liveBatch(1, 600));
    await writer.drain(); // live + first slice
    writer.accept(MAIN_SOURCE, liveBatch(2, 660));
    await writer.drain(); // the live batch that arrived during the bulk drain, alone
    await writer.drain(); // the second slice
    expect(commits.map((c) => c.rows)).toEqual([50_001, 1, 50_000]);
    expect(commits.map((c) => c.mainAcks)).toEqual([[1], [2], []]);
    expect(commits[1]!.segments.map((s) => s.seriesId)).toEqual([L]);
  });

  it('still gives bulk every other drain under constant live load', async () => {
    const { writer, commits } = core();
    writer.accept('import', bulkBatch(1, 60, 50_000));
    writer.accept('import', bulkBatch(2, 60 * 50_001, 50_000));
    for (let d = 0; d < 4; d++) {
      writer.accept(MAIN_SOURCE, liveBatch(d + 1, 600 + 60 * d));
      await writer.drain();
    }
    expect(commits.map((c) => c.rows)).toEqual([50_001, 1, 50_001, 1]);
  });
});
