import { describeError, toWire } from '../shared/errors.js';
import { BulkSender } from './bulk-sender.js';
import { streamCandleFile, type StreamSummary } from './candle-stream.js';
import type { ImportFileResult, ImportProgress, ImportRunner, ImportTask } from './contract.js';

/**
 * Rows per bulk message: the writer commits bulk data in slices of this size between live drains
 * (writer-core.ts BULK_ROWS_PER_DRAIN), so one message is one slice.
 */
export const IMPORT_CHUNK_ROWS = 50_000;
/** Bulk messages awaiting their ack per import (2.4 MB each at 50k rows). */
export const IMPORT_MAX_IN_FLIGHT = 3;

/**
 * Decodes a file and streams its candles to the writer as bulk batches, waiting for acks to keep
 * at most `maxInFlight` in the air. Resolves when everything sent is committed. Never rejects:
 * decode problems and writer refusals come back as `reason`. Closes both ports when done.
 */
export async function runImportTask(task: ImportTask): Promise<ImportFileResult> {
  const started = performance.now();
  let last: { rowsRead: number; fraction: number } = { rowsRead: 0, fraction: 0 };
  // Committed share of the file: rows written over the total the decoded share implies (record
  // batches are of equal size); decoding runs a few chunks ahead, so its own share would overstate.
  const report = (rowsWritten: number) => {
    const total = last.fraction > 0 ? last.rowsRead / last.fraction : 0;
    const fraction = total > 0 ? Math.min(1, rowsWritten / total) : 0;
    task.progress?.postMessage({ rowsRead: last.rowsRead, rowsWritten, fraction } satisfies ImportProgress);
  };
  const sender = new BulkSender(task.port, { maxInFlight: task.maxInFlight ?? IMPORT_MAX_IN_FLIGHT, publish: task.publish }, report);
  let summary: StreamSummary | null = null;
  let writeError: unknown = null;
  try {
    summary = await streamCandleFile(
      task.path,
      { tfSeconds: task.tfSeconds, tail: task.tail, format: task.format, chunkRows: task.chunkRows ?? IMPORT_CHUNK_ROWS },
      (chunk, progress) => {
        last = progress;
        return sender.send(task.seriesId, chunk);
      },
    );
    await sender.drain();
  } catch (err) {
    writeError = err;
  } finally {
    sender.close();
    task.progress?.close();
  }
  const base = {
    seriesId: task.seriesId,
    path: task.path,
    rowsRead: summary?.rowsRead ?? last.rowsRead,
    rowsWritten: sender.committed,
    gaps: summary?.gaps ?? 0,
    missingBars: summary?.missingBars ?? 0,
    firstTime: summary?.firstTime ?? null,
    lastTime: sender.committed > 0 ? (summary?.lastTime ?? null) : null,
    ms: performance.now() - started,
  };
  if (writeError !== null) {
    const wire = toWire(writeError);
    return { ...base, reason: { code: wire.code, message: `${task.path}: writing to the store failed: ${describeError(writeError)}` } };
  }
  return summary?.reason ? { ...base, reason: summary.reason } : base;
}

export const inThreadImportRunner: ImportRunner = { importFile: runImportTask };
