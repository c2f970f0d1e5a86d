import type { MessagePort } from 'node:worker_threads';
import { describeError, toWire, type ErrorCode } from '../errors.js';
import { BulkSender } from './bulk-sender.js';
import { streamCandleFile, type StreamSummary } from './candle-stream.js';
import type { DecodeReasonCode } from './decode-result.js';
import type { CandleFormat } from './formats.js';

/**
 * Rows per bulk message: the writer commits bulk data in slices of this size between live drains
 * (writer-core.ts BULK_ROWS_PER_DRAIN), so one message is one slice.
 */
export const IMPORT_CHUNK_ROWS = 50_000;
/** Bulk messages awaiting their ack per import (2.4 MB each at 50k rows). */
export const IMPORT_MAX_IN_FLIGHT = 3;

/** One file to stream into the store; crosses to a decode worker with its ports transferred. */
export interface ImportTask {
  readonly kind: 'import';
  readonly seriesId: string;
  readonly path: string;
  readonly format?: CandleFormat;
  readonly tfSeconds: number;
  /** Latest candles to import; 0 or absent = whole file. */
  readonly tail?: number;
  /** Publish the committed candles to WebSocket subscribers; history is not live, so usually false. */
  readonly publish: boolean;
  readonly chunkRows?: number;
  readonly maxInFlight?: number;
  /** A producer port of the writer (store `connectProducer`). */
  readonly port: MessagePort;
  /** Receives `ImportProgress` after every commit, when given. */
  readonly progress?: MessagePort;
}

export interface ImportProgress {
  readonly rowsRead: number;
  readonly rowsWritten: number;
  /** Share of the file committed so far, 0..1 (estimated from the share decoded). */
  readonly fraction: number;
}

export interface ImportReason {
  /** A decode reason (decode-result.ts), or the store's error code when writing failed. */
  readonly code: DecodeReasonCode | ErrorCode;
  readonly message: string;
}

export interface ImportFileResult {
  readonly seriesId: string;
  readonly path: string;
  readonly rowsRead: number;
  /** Candles committed (upserted: a second import of the same file writes as many again). */
  readonly rowsWritten: number;
  readonly gaps: number;
  readonly missingBars: number;
  readonly firstTime: number | null;
  /** Newest candle time written. */
  readonly lastTime: number | null;
  readonly ms: number;
  /** Set when the file gave no candles, stopped part-way, or the writer refused them. */
  readonly reason?: ImportReason;
}

/** The result of an import that wrote nothing: it failed before (or instead of) reading. */
export function failedImport(seriesId: string, path: string, reason: ImportReason, ms = 0): ImportFileResult {
  return { seriesId, path, rowsRead: 0, rowsWritten: 0, gaps: 0, missingBars: 0, firstTime: null, lastTime: null, ms, reason };
}

/** Runs import tasks: in-thread (`runImportTask`) or on the decode pool (decode-pool.ts). */
export interface ImportRunner {
  importFile(task: ImportTask): Promise<ImportFileResult>;
}

export function isImportTask(task: unknown): task is ImportTask {
  return typeof task === 'object' && task !== null && (task as { kind?: unknown }).kind === 'import';
}

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
    summary = await streamCandleFile(task.path, { tfSeconds: task.tfSeconds, tail: task.tail, format: task.format, chunkRows: task.chunkRows ?? IMPORT_CHUNK_ROWS }, (chunk, progress) => {
      last = progress;
      return sender.send(task.seriesId, chunk);
    });
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
