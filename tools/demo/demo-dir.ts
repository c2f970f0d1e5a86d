import { mkdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { GatewayError } from '../../src/shared/errors.js';
import { journalPathOf } from '../../src/main/store/hot-journal.js';
import { acquireDbOwnership } from '../../src/main/store/db-owner.js';
import { DemoError } from './demo-error.js';

/** What the demo keeps under its data dir (default data/demo, git-ignored with the rest of data/). */
export interface DemoPaths {
  readonly root: string;
  readonly db: string;
  /** The generated freqtrade datadir. */
  readonly datadir: string;
  readonly whitelist: string;
  /** The live page, built for this run. */
  readonly web: string;
}

export function demoPaths(root: string): DemoPaths {
  return {
    root,
    db: join(root, 'market.db'),
    datadir: join(root, 'freqtrade'),
    whitelist: join(root, 'whitelist.json'),
    web: join(root, 'web'),
  };
}

/**
 * Makes the data dir ready for a new run. The database and the datadir are thrown away, not
 * reused: every run starts the fake's clock at "now", so a previous run's candles (ahead of the
 * wall clock after fast bars, or hours old) would sit beside this run's as a hole or an overlap.
 * A running demo (or gateway) on the same database is refused first, through the database's owner
 * file, so its files are never deleted under it. Only the demo's own files are removed: the data
 * dir itself may be one the user named.
 */
export async function prepareDemoDir(paths: DemoPaths): Promise<void> {
  mkdirSync(paths.root, { recursive: true });
  let ownership;
  try {
    // Also repairs what a killed previous run left (stale owner, lock directory).
    ownership = await acquireDbOwnership(paths.db);
  } catch (err) {
    if (err instanceof GatewayError) {
      throw new DemoError(`${err.message}.\nIs another demo running? Stop it (Ctrl-C), or give this one its own --data-dir.`);
    }
    throw err;
  }
  try {
    for (const file of [paths.db, journalPathOf(paths.db), `${paths.db}-wal`, paths.whitelist]) rmSync(file, { force: true });
    for (const dir of [paths.datadir, paths.web]) rmSync(dir, { recursive: true, force: true });
  } finally {
    await ownership.release();
  }
}
