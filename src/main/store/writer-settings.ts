import { resolve } from 'node:path';
import type { WriterSettings } from '../../writer/contract.js';
import type { Config } from '../config/settings.js';

/** The writer's settings from the configuration (the gateway and the import command). */
export function writerSettings(config: Pick<Config, 'dbPath' | 'sqliteSynchronous' | 'writerRowsPerStatement' | 'writerMaxPendingCandles'>): WriterSettings {
  return {
    dbPath: resolve(config.dbPath),
    synchronous: config.sqliteSynchronous,
    rowsPerStatement: config.writerRowsPerStatement,
    maxPendingCandles: config.writerMaxPendingCandles,
  };
}
