import type { WriterSettings } from '../../writer/contract.js';
import { acquireDbOwnership, recoverStaleLock } from './db-owner.js';

/** The process's hold on its store, released when it stops. */
export interface StoreOwnership {
  release(): Promise<void>;
}

const NOTHING_HELD: StoreOwnership = { release: async () => undefined };

/**
 * Takes the store for this process. SQLite: the file's single-owner lock (db-owner.ts), as the
 * binding allows one connection. PostgreSQL: nothing to take — the server serializes writers,
 * and a second writer stays correct (upserts; a stale range falls back to the upsert path).
 */
export async function acquireStoreOwnership(settings: WriterSettings): Promise<StoreOwnership> {
  return settings.store === 'postgres' ? NOTHING_HELD : acquireDbOwnership(settings.dbPath);
}

/**
 * What a dead writer thread left to repair before another opens the store: the SQLite file's
 * hot journal and lock directory. A PostgreSQL connection dies with its thread and the server
 * rolls its transaction back.
 */
export function repairAfterWriter(settings: WriterSettings): void {
  if (settings.store !== 'postgres') recoverStaleLock(settings.dbPath);
}
