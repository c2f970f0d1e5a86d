import { CANDLE_STRIDE } from '../domain/candle.js';
import { GatewayError } from '../shared/errors.js';

/**
 * Binds packed candles into a prepared multi-row upsert and runs it.
 *
 * The SQLite binding's public `stmt.run(values)` costs, per statement, `clear_bindings`, `changes`
 * and `last_insert_rowid` calls we do not need, and per value a type dispatch (typeof, safe-integer
 * and int32 range tests). For 600 values a statement that was ~10 % of a bulk import's writer time
 * (bench/import.ts). `fastRowBinder` calls the same Emscripten exports the binding's own methods
 * call (`_sqlite3_bind_double` …, `stmt._ptr`, `stmt._step()`), which exist in the pinned version
 * (package.json pins it exactly); when they are missing it returns null and the store uses `run`.
 * test/writer/row-binder.test.ts fails if the fast path stops being available.
 */
export type RowBinder = (seriesId: string, packed: Float64Array, firstRow: number, rows: number) => void;

interface RawExports {
  _sqlite3_reset(stmt: number): number;
  _sqlite3_bind_int(stmt: number, index: number, value: number): number;
  _sqlite3_bind_double(stmt: number, index: number, value: number): number;
}

interface StatementInternals {
  _ptr: number | null;
  _bindValue(value: unknown, index: number): void;
  /** true on SQLITE_ROW, false on SQLITE_DONE; throws the binding's SQLite3Error otherwise. */
  _step(): boolean;
}

const SQLITE_OK = 0;
const INT32_MAX = 2_147_483_647;

export function fastRowBinder(binding: unknown, statement: unknown): RowBinder | null {
  const raw = binding as Partial<RawExports>;
  const stmt = statement as Partial<StatementInternals>;
  if (
    typeof raw._sqlite3_reset !== 'function' ||
    typeof raw._sqlite3_bind_int !== 'function' ||
    typeof raw._sqlite3_bind_double !== 'function' ||
    typeof stmt._ptr !== 'number' ||
    typeof stmt._bindValue !== 'function' ||
    typeof stmt._step !== 'function'
  ) {
    return null;
  }
  const { _sqlite3_reset: reset, _sqlite3_bind_int: bindInt, _sqlite3_bind_double: bindDouble } = raw as RawExports;
  const s = stmt as StatementInternals;
  return (seriesId, packed, firstRow, rows) => {
    const ptr = s._ptr;
    if (ptr === null) throw new GatewayError('store_failed', 'upsert statement already finalized');
    reset(ptr);
    s._bindValue(seriesId, 1); // text goes through the binding: it owns the UTF-8 copy
    let rc = SQLITE_OK;
    let index = 2;
    for (let r = firstRow; r < firstRow + rows; r++) {
      const b = r * CANDLE_STRIDE;
      const t = packed[b]!;
      // Times are whole seconds below 2^31 until 2038; anything else takes the binding's own path
      // (int64 via BigInt, or a double), exactly as `run` would bind it.
      if (Number.isInteger(t) && t >= 0 && t <= INT32_MAX) rc |= bindInt(ptr, index, t);
      else s._bindValue(t, index);
      rc |= bindDouble(ptr, index + 1, packed[b + 1]!);
      rc |= bindDouble(ptr, index + 2, packed[b + 2]!);
      rc |= bindDouble(ptr, index + 3, packed[b + 3]!);
      rc |= bindDouble(ptr, index + 4, packed[b + 4]!);
      rc |= bindDouble(ptr, index + 5, packed[b + 5]!);
      index += CANDLE_STRIDE;
    }
    // Binding fails only for a wrong index or a statement in use: a bug, not a data problem.
    if (rc !== SQLITE_OK) throw new GatewayError('store_failed', `binding upsert values failed (rc ${rc})`);
    s._step();
  };
}
