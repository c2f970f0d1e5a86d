import fc from 'fast-check';

/**
 * fast-check arbitraries for the fuzz probe: inputs near the contract's shapes (series ids,
 * numbers, candles, WS messages) mixed with anything at all, so shrinking lands on a readable
 * counterexample when a property fails.
 */

const anyText = fc.oneof(fc.string({ maxLength: 40 }), fc.string({ unit: 'binary', maxLength: 40 }), fc.string({ unit: 'grapheme', maxLength: 20 }));

/** Series ids: valid ones, near misses (bad timeframe, missing parts, spaces, huge) and junk. */
export const seriesIdArb: fc.Arbitrary<string> = fc.oneof(
  fc.constantFrom('binance:futures:BTC/USDT:1m', 'binance:spot:ETH/USDT:5m', 'binance:futures:BTC/USDT:USDT:1h', 'x:y:Z:1d'),
  fc
    .tuple(
      fc.constantFrom('binance', 'okx', '', ' binance '),
      fc.constantFrom('spot', 'futures', '', 'margin'),
      fc.oneof(fc.constantFrom('BTC/USDT', 'A/B:C', ''), anyText),
      fc.oneof(fc.constantFrom('1m', '0m', '-1m', '1w', '1M', '99999999999h', '1.5m', 'm', ''), anyText),
    )
    .map((parts) => parts.join(':')),
  fc.string({ minLength: 150, maxLength: 400 }),
  anyText,
);

/** Numbers as query text: integers, edges, fractions, exponents, words. */
export const numberTextArb: fc.Arbitrary<string> = fc.oneof(
  fc.integer().map(String),
  fc.constantFrom('0', '-1', '5000', '5001', '1e3', '1.5', '0x10', 'NaN', 'Infinity', '', ' 1', '9007199254740993', '1'.repeat(400)),
  fc.double().map(String),
  anyText,
);

/** A query string for GET /api/market/candles: the known params (sometimes twice), and others. */
export const candlesQueryArb: fc.Arbitrary<string> = fc
  .record(
    {
      series_id: seriesIdArb,
      since: numberTextArb,
      limit: numberTextArb,
      before: numberTextArb,
      extra: fc.tuple(anyText, anyText),
      twice: fc.boolean(),
    },
    { requiredKeys: [] },
  )
  .map((q) => {
    const p = new URLSearchParams();
    for (const key of ['series_id', 'since', 'limit', 'before'] as const) {
      const v = q[key];
      if (v !== undefined) {
        p.append(key, v);
        if (q.twice) p.append(key, v.split('').reverse().join(''));
      }
    }
    if (q.extra) p.append(q.extra[0], q.extra[1]);
    return p.toString();
  });

/** Numbers in JSON bodies: finite, edges, and values JSON cannot carry as numbers. */
const jsonNumberish = fc.oneof(
  fc.integer(),
  fc.double({ noNaN: true, noDefaultInfinity: true }),
  fc.constantFrom(0, -60, 60, 1e21, -0, 2 ** 53 + 2, '60', null, true, [], {}),
);

export const candleArb = fc.record(
  { candle_time: jsonNumberish, open: jsonNumberish, high: jsonNumberish, low: jsonNumberish, close: jsonNumberish, volume: jsonNumberish },
  { requiredKeys: [] },
);

/** Bodies for the write routes: near the contract's shapes, any JSON, or no JSON at all. */
export const bodyArb: fc.Arbitrary<string> = fc.oneof(
  fc
    .record({ series_id: fc.oneof(seriesIdArb, jsonNumberish), candle: fc.oneof(candleArb, fc.jsonValue()) }, { requiredKeys: [] })
    .map((b) => JSON.stringify(b)),
  fc
    .record(
      { series_id: seriesIdArb, candles: fc.oneof(fc.array(candleArb, { maxLength: 30 }), fc.jsonValue()), publish_ws: fc.oneof(fc.boolean(), fc.jsonValue()) },
      { requiredKeys: [] },
    )
    .map((b) => JSON.stringify(b)),
  fc.jsonValue().map((v) => JSON.stringify(v)),
  fc.jsonValue().map((v) => JSON.stringify(v).slice(0, -1)),
  anyText,
);

export const contentTypeArb = fc.constantFrom(
  'application/json',
  'application/json; charset=utf-8',
  'text/plain',
  'application/x-www-form-urlencoded',
  '',
  'multipart/form-data; boundary=x',
);

/** A path: the gateway's own, with junk segments, encodings and dot segments. */
export const pathArb: fc.Arbitrary<string> = fc.oneof(
  fc.constantFrom(
    '/api/market/candles',
    '/api/market/whitelist',
    '/healthz',
    '/readyz',
    '/metrics',
    '/live',
    '/ws/market',
    '/',
    '/api/market/ingest/candle_closed',
  ),
  fc
    .array(fc.oneof(fc.constantFrom('api', 'market', '..', '.', '%2e%2e', '%00', '%ff', ''), anyText.map(encodeURIComponent)), { maxLength: 6 })
    .map((s) => '/' + s.join('/')),
);

export const methodArb = fc.constantFrom('GET', 'POST', 'PUT', 'DELETE', 'PATCH', 'OPTIONS', 'HEAD');

/** WebSocket client messages: subscribe/unsubscribe near the contract, any JSON, or junk text. */
export const wsMessageArb: fc.Arbitrary<unknown> = fc.oneof(
  fc.record(
    {
      type: fc.oneof(fc.constantFrom('subscribe', 'unsubscribe', '', 'SUBSCRIBE', 'ping'), anyText, jsonNumberish),
      series_id: fc.oneof(seriesIdArb, jsonNumberish),
      since: fc.oneof(jsonNumberish, fc.constant(null)),
      supports_batch: fc.oneof(fc.boolean(), jsonNumberish),
      tail_limit: jsonNumberish,
    },
    { requiredKeys: [] },
  ),
  fc.jsonValue(),
);

/** A frame: the message as JSON text, as bytes that may not be UTF-8 or msgpack, or as junk text. */
export const wsFrameArb: fc.Arbitrary<{ text: string } | { binary: Uint8Array }> = fc.oneof(
  wsMessageArb.map((m) => ({ text: JSON.stringify(m) ?? 'null' })),
  anyText.map((text) => ({ text })),
  fc.uint8Array({ maxLength: 200 }).map((binary) => ({ binary })),
);
