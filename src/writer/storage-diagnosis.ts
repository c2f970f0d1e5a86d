import { accessSync, closeSync, constants, existsSync, openSync, statfsSync, statSync, unlinkSync } from 'node:fs';
import { dirname } from 'node:path';
import { errnoText } from '../shared/errno.js';
import { describeError } from '../shared/errors.js';

/**
 * Names the operating-system cause behind a storage failure. The SQLite binding's file layer
 * (the store binding's VFS) swallows errno: a file it cannot open is "Could not open the
 * database", a write that hit a full disk is "disk I/O error". An operator needs EACCES, EROFS,
 * ENOSPC or EISDIR, so after a failure we probe the file the way SQLite uses it: the database
 * opened for reading and writing, its directory writable (journal and lock directory live there),
 * free space on the device.
 */

/** Below this much free space a failed write is most likely a full disk. */
const LOW_SPACE_BYTES = 1024 * 1024;

/** The cause found on disk for a failure on `dbPath`, or null when the file looks usable. */
export function storageCause(dbPath: string): string | null {
  const dir = dirname(dbPath);
  let exists = true;
  try {
    if (statSync(dbPath).isDirectory()) return `EISDIR (${dbPath} is a directory)`;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') return `${errnoText(err)} on ${dbPath}`;
    exists = false;
  }
  if (exists) {
    try {
      closeSync(openSync(dbPath, 'r+'));
    } catch (err) {
      return `${errnoText(err)} opening ${dbPath} for writing`;
    }
  }
  try {
    accessSync(dir, constants.W_OK);
  } catch (err) {
    return `${errnoText(err)} on its directory ${dir} (SQLite writes its journal there)`;
  }
  try {
    const fs = statfsSync(dir);
    const free = fs.bavail * fs.bsize;
    if (free === 0) return `ENOSPC (no space left on device)`;
    if (free < LOW_SPACE_BYTES) return `ENOSPC likely (only ${Math.round(free / 1024)} KiB free on the device)`;
  } catch {
    // statfs is best effort (not every platform or file system answers it).
  }
  return null;
}

/** SQLite's message, with the cause on disk when one is found: "disk I/O error: ENOSPC (…)". */
export function explainStorageError(dbPath: string, err: unknown): string {
  const message = describeError(err);
  const cause = storageCause(dbPath);
  return cause ? `${message}: ${cause}` : message;
}

/** Runs a clean-up step whose failure must not hide what caused the clean-up. */
export function quietly(step: () => void): void {
  try {
    step();
  } catch {
    // The statement's or connection's own error was already reported where it happened.
  }
}

/**
 * The files a first open creates (database, journal or write-ahead log): removed again when the open fails, so a
 * start that could not use the path leaves nothing behind. Files that existed are never touched.
 */
export function createdFiles(path: string): { removeNew(): void } {
  const candidates = [path, `${path}-journal`, `${path}-wal`].filter((p) => !existsSync(p));
  return { removeNew: () => candidates.forEach((p) => quietly(() => existsSync(p) && statSync(p).isFile() && unlinkSync(p))) };
}
