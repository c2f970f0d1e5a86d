/**
 * The decode threads' contract (piscina, workers/history-decode.ts): the tasks the main thread
 * (or the import command) hands them and what comes back. Both sides import this leaf.
 */
import type { MessagePort } from 'node:worker_threads';
import type { CandleFormat } from '../domain/freqtrade-formats.js';
import type { ErrorCode } from '../shared/errors.js';
import type { DecodeReasonCode, DecodeResult } from './decode-result.js';

export { DECODE_REASONS, failedResult, type DecodeReason, type DecodeReasonCode, type DecodeResult } from './decode-result.js';

/** One file to decode; plain data, so it crosses to a worker thread by structured clone. */
export interface DecodeTask {
  readonly path: string;
  /** Bar length in seconds (gap detection). */
  readonly tfSeconds: number;
  /** Latest candles to return; 0 or absent = whole file. */
  readonly tail?: number;
  /** Overrides the format implied by the file name. */
  readonly format?: CandleFormat;
}

/**
 * Decodes candle files. Two implementations share this interface: `inThreadDecoder` (tests,
 * tools, small reads) and the piscina pool (decode-pool.ts), so callers and contract tests do not
 * care which thread does the work. `decode` never rejects: failures are results with a reason.
 */
export interface CandleDecoder {
  decode(task: DecodeTask): Promise<DecodeResult>;
}

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
