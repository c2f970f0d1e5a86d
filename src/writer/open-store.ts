import { GatewayError } from '../shared/errors.js';
import type { CandleStore } from './candle-store.js';
import type { WriterSettings } from './contract.js';
import { SqliteCandleStore } from './sqlite-candle-store.js';

/**
 * Opens the store the settings name. The PostgreSQL store is loaded only when chosen, so the
 * default SQLite gateway never loads the pg driver. A store that cannot be opened throws a
 * `store_failed` error whose message is the one start-up line the operator sees.
 */
export async function openCandleStore(settings: WriterSettings): Promise<CandleStore> {
  if ((settings.store ?? 'sqlite') === 'sqlite') {
    return new SqliteCandleStore(settings.dbPath, { synchronous: settings.synchronous, rowsPerStatement: settings.rowsPerStatement });
  }
  if (!settings.pg) throw new GatewayError('store_failed', 'the PostgreSQL store needs TRADE_CANVAS_PG_URL');
  const { PgCandleStore } = await import('./pg/pg-candle-store.js');
  return PgCandleStore.open(settings.pg);
}
