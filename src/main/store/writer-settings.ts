import { resolve } from 'node:path';
import type { WriterSettings } from '../../writer/contract.js';
import type { Config } from '../config/settings.js';

type StoreConfig = Pick<
  Config,
  | 'store'
  | 'dbPath'
  | 'sqliteSynchronous'
  | 'writerRowsPerStatement'
  | 'writerMaxPendingCandles'
  | 'pgUrl'
  | 'pgPoolSize'
  | 'pgStatementTimeoutMs'
  | 'pgConnectWaitS'
>;

/** The writer's settings from the configuration (the gateway and the import command). */
export function writerSettings(config: StoreConfig): WriterSettings {
  return {
    store: config.store,
    pg:
      config.store === 'postgres'
        ? { url: config.pgUrl, poolSize: config.pgPoolSize, statementTimeoutMs: config.pgStatementTimeoutMs, connectWaitMs: config.pgConnectWaitS * 1000 }
        : undefined,
    dbPath: resolve(config.dbPath),
    synchronous: config.sqliteSynchronous,
    rowsPerStatement: config.writerRowsPerStatement,
    maxPendingCandles: config.writerMaxPendingCandles,
  };
}
