import type { BarChange, CandleBook } from './candle-book.js';
import type { ServerFrame, SubscribeFrame, UnsubscribeFrame } from './wire.js';

/** `history`: one HTTP page, then WS `since`. `snapshot`: WS `tail_limit` only, zero HTTP (contract §3). */
export type SyncMode = 'history' | 'snapshot';

/** Bars a snapshot-mode subscribe asks for: as many as a history-mode switch loads over HTTP. */
export const SNAPSHOT_TAIL_LIMIT = 2000;

/** The server frames that carry bars of the subscribed series. */
export type CandleFrame = Extract<ServerFrame, { type: 'candles_batch' | 'candle_closed' | 'candle_forming' | 'snapshot' }>;

export interface MergedFrame {
  /** What the chart must redraw. */
  readonly change: BarChange;
  /** Time of the newest closed candle the frame carried; undefined when it carried none. */
  readonly lastClosedTime: number | undefined;
}

/**
 * The subscribe of one series: history mode catches up from the last closed bar it holds (null:
 * none yet, the server sends from its start); snapshot mode asks for the tail instead.
 */
export function subscribeFrame(mode: SyncMode, seriesId: string, lastClosedTime: number | null): SubscribeFrame {
  return mode === 'snapshot'
    ? { type: 'subscribe', series_id: seriesId, tail_limit: SNAPSHOT_TAIL_LIMIT, supports_batch: true }
    : { type: 'subscribe', series_id: seriesId, since: lastClosedTime, supports_batch: true };
}

export function unsubscribeFrame(seriesId: string): UnsubscribeFrame {
  return { type: 'unsubscribe', series_id: seriesId };
}

/**
 * Merges one frame of the subscribed series into the book: closed candles (batch, single, a
 * snapshot's tail) go in by time, a forming candle replaces the forming bar. A snapshot is drawn
 * whole (`bulk`), the rest as the book reports.
 */
export function mergeLiveFrame(book: CandleBook, frame: CandleFrame): MergedFrame {
  switch (frame.type) {
    case 'candles_batch':
      return { change: book.mergeClosed(frame.candles), lastClosedTime: frame.candles.at(-1)?.candle_time };
    case 'candle_closed':
      return { change: book.mergeClosed([frame.candle]), lastClosedTime: frame.candle.candle_time };
    case 'candle_forming':
      return { change: book.setForming(frame.candle), lastClosedTime: undefined };
    case 'snapshot':
      book.mergeClosed(frame.candles);
      if (frame.forming) book.setForming(frame.forming);
      return { change: { kind: 'bulk' }, lastClosedTime: frame.candles.at(-1)?.candle_time };
  }
}
