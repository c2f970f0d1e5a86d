import { Packr } from 'msgpackr';
import { candleAt, candleCount, type Candle } from '../domain/candle.js';
import type { ErrorCode } from '../shared/errors.js';
import { candleJson, candlesArrayJson, type CandleJsonFragment } from './candle-json.js';

/**
 * Server → client WebSocket messages (contract §3). Each message is built once and encoded at most
 * once per encoding, however many subscribers receive it: fan-out never stringifies per client.
 */

export type WireEncoding = 'json' | 'msgpack';

/** Plain JSON-compatible objects: msgpackr's record extension would change the wire shape. */
const packr = new Packr({ useRecords: false, variableMapSize: true });

export type FrameKind = 'closed' | 'forming' | 'control';

export class OutboundFrame {
  private json?: Buffer;
  private msgpack?: Buffer;

  /**
   * @param kind    'forming' frames may be skipped for slow consumers; 'closed' must be delivered
   *                or the socket closed; 'control' (errors) are best effort.
   * @param jsonText the message as JSON text.
   * @param value   a factory for the message object (only used for msgpack).
   */
  constructor(
    readonly kind: FrameKind,
    private readonly jsonText: () => string,
    private readonly value: () => unknown,
  ) {}

  bytes(encoding: WireEncoding): Buffer {
    if (encoding === 'json') return (this.json ??= Buffer.from(this.jsonText(), 'utf8'));
    return (this.msgpack ??= packr.pack(this.value()));
  }

  /** The message object (tests and debugging). */
  toObject(): unknown {
    return this.value();
  }
}

const q = JSON.stringify;

export function candleClosedFrame(seriesId: string, c: Candle): OutboundFrame {
  return new OutboundFrame(
    'closed',
    () => `{"type":"candle_closed","series_id":${q(seriesId)},"candle":${candleJson(c)}}`,
    () => ({ type: 'candle_closed', series_id: seriesId, candle: c }),
  );
}

export function candleFormingFrame(seriesId: string, c: Candle): OutboundFrame {
  return new OutboundFrame(
    'forming',
    () => `{"type":"candle_forming","series_id":${q(seriesId)},"candle":${candleJson(c)}}`,
    () => ({ type: 'candle_forming', series_id: seriesId, candle: c }),
  );
}

export function candlesBatchFrame(
  seriesId: string,
  packed: Float64Array,
  from = 0,
  to = candleCount(packed),
  fragments?: readonly CandleJsonFragment[],
): OutboundFrame {
  return new OutboundFrame(
    'closed',
    () => `{"type":"candles_batch","series_id":${q(seriesId)},"candles":${candlesArrayJson(packed, from, to, fragments)}}`,
    () => ({ type: 'candles_batch', series_id: seriesId, candles: candleObjects(packed, from, to) }),
  );
}

export function gapFrame(seriesId: string, expectedNextTime: number, actualTime: number): OutboundFrame {
  const message = { type: 'gap', series_id: seriesId, expected_next_time: expectedNextTime, actual_time: actualTime };
  return new OutboundFrame(
    'closed',
    () => q(message),
    () => message,
  );
}

export function snapshotFrame(
  seriesId: string,
  packed: Float64Array,
  head: number | null,
  forming: Candle | null,
  fragments?: readonly CandleJsonFragment[],
): OutboundFrame {
  const n = candleCount(packed);
  return new OutboundFrame(
    'closed',
    () =>
      `{"type":"snapshot","series_id":${q(seriesId)},"candles":${candlesArrayJson(packed, 0, n, fragments)},"server_head_time":${head},"forming":${forming ? candleJson(forming) : 'null'}}`,
    () => ({ type: 'snapshot', series_id: seriesId, candles: candleObjects(packed, 0, n), server_head_time: head, forming }),
  );
}

/** `series_id` appears only on errors about one series (capacity), as in trade_canvas. */
export function errorFrame(code: ErrorCode, message: string, seriesId?: string): OutboundFrame {
  const body = seriesId === undefined ? { type: 'error', code, message } : { type: 'error', code, message, series_id: seriesId };
  return new OutboundFrame(
    'control',
    () => q(body),
    () => body,
  );
}

function candleObjects(packed: Float64Array, from: number, to: number): Candle[] {
  const out: Candle[] = [];
  for (let i = from; i < to; i++) out.push(candleAt(packed, i));
  return out;
}
