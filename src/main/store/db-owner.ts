import { existsSync, mkdirSync, readFileSync, renameSync, rmdirSync, statSync, unlinkSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { errnoText } from '../../shared/errno.js';
import { GatewayError } from '../../shared/errors.js';
import { createLogger } from '../../shared/log.js';
import { journalPathOf, rollbackHotJournal } from './hot-journal.js';
import { tryProcessLock, type ProcessLock } from './process-lock.js';

/**
 * Single-owner guard for the database file.
 *
 * The SQLite binding we use locks with a `<db>.lock` directory that other SQLite clients cannot
 * see, and a process killed mid-transaction leaves it behind: every later open then says "database
 * is locked" forever. So ownership is decided by a lock the kernel holds for the owner's life
 * (process-lock.ts: atomic, released at death, kill -9 and unreaped zombies included), and a
 * `<db>.owner` file records who owns it (pid, since) for messages and for the next start:
 *   - lock held by another process → refuse, naming its pid from the owner file;
 *   - lock free and an owner file left behind → its writer died: replay a hot rollback journal
 *     (the binding cannot, see hot-journal.ts; a write-ahead log SQLite recovers by itself),
 *     remove the lock directory, take ownership;
 *   - lock free, a lock directory and no owner file → someone else's SQLite lock: refuse and say
 *     how to fix it.
 */

const log = createLogger('store.owner');

interface OwnerRecord {
  pid: number;
  since: string;
}

export interface DbOwnership {
  readonly ownerPath: string;
  /** Pid of the dead owner we took over from (-1 if its file was unreadable), else null. */
  readonly staleOwnerPid: number | null;
  /** What start-up had to repair, for the log and tests. */
  readonly recovered: StaleLockRecovery;
  release(): Promise<void>;
}

/**
 * A process killed with SIGKILL lets go of the lock only once all its threads have exited, a few
 * milliseconds after its main thread is already a zombie. A restart right after the kill (a
 * supervisor's) waits that out instead of refusing; a live owner is refused at once.
 */
const DYING_OWNER_WAIT_MS = 2_000;
const DYING_OWNER_POLL_MS = 20;

async function lockUnlessLiveOwner(dbPath: string, ownerPath: string): Promise<ProcessLock | null> {
  const deadline = Date.now() + DYING_OWNER_WAIT_MS;
  for (;;) {
    const lock = await tryProcessLock(dbPath);
    if (lock) return lock;
    const owner = readOwner(ownerPath);
    if (!owner || isRunning(owner.pid) || Date.now() >= deadline) return null;
    await new Promise((r) => setTimeout(r, DYING_OWNER_POLL_MS));
  }
}

/** The pid exists and is not a zombie (a zombie holds no files and no sockets). */
function isRunning(pid: number): boolean {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3) !== 'Z';
  } catch {
    return false;
  }
}

export function lockDirOf(dbPath: string): string {
  return `${dbPath}.lock`;
}

export function ownerPathOf(dbPath: string): string {
  return `${dbPath}.owner`;
}

export async function acquireDbOwnership(dbPath: string): Promise<DbOwnership> {
  try {
    mkdirSync(dirname(dbPath), { recursive: true });
  } catch (err) {
    throw storageError(dbPath, err, `creating its directory ${dirname(dbPath)}`);
  }
  const ownerPath = ownerPathOf(dbPath);
  const lockDir = lockDirOf(dbPath);
  const lock = await lockUnlessLiveOwner(dbPath, ownerPath);
  if (!lock) {
    const owner = readOwner(ownerPath);
    const who = owner ? `pid ${owner.pid}, since ${owner.since}` : 'its owner file is not written yet';
    throw new GatewayError('store_failed', `database ${dbPath} is in use by another kline-gateway process (${who}); stop it first`);
  }
  try {
    const left = existsSync(ownerPath) ? readOwner(ownerPath) : null;
    const staleOwnerPid = existsSync(ownerPath) ? (left?.pid ?? -1) : null;
    if (staleOwnerPid === null && existsSync(lockDir)) {
      throw new GatewayError(
        'store_failed',
        `database ${dbPath} is locked (${lockDir} exists) but no kline-gateway owns it; another program may be using it. ` +
          `If none is, remove the directory ${lockDir} and start again`,
      );
    }
    if (staleOwnerPid !== null) log.warn('stale database owner found; taking over', { db: dbPath, stale_pid: staleOwnerPid });
    const recovered = staleOwnerPid === null ? NOTHING_RECOVERED : recoverStaleLock(dbPath);
    writeOwner(dbPath, ownerPath);
    let released: Promise<void> | null = null;
    return {
      ownerPath,
      staleOwnerPid,
      recovered,
      // The owner file goes first: while the kernel lock is still ours, nobody can read it as a
      // crashed owner's.
      release: () =>
        (released ??= (async () => {
          removeIfPresent(ownerPath);
          await lock.release();
        })()),
    };
  } catch (err) {
    await lock.release();
    throw err;
  }
}

export interface StaleLockRecovery {
  readonly journalReplayed: boolean;
  readonly pagesRestored: number;
  /** Bytes of write-ahead log the dead opener left: SQLite recovers it at the next open. */
  readonly walBytes: number;
  readonly lockRemoved: boolean;
}

const NOTHING_RECOVERED: StaleLockRecovery = { journalReplayed: false, pagesRestored: 0, walBytes: 0, lockRemoved: false };

/**
 * Repairs what a dead opener left: rolls back its hot journal (files of versions before the
 * write-ahead log), then removes its lock directory. A write-ahead log needs no help: SQLite
 * rebuilds its index at the next open and keeps exactly the transactions whose commit record
 * reached the log (the binding's lock quirk plays no part there); it is only reported.
 * Only call it with proof that nobody has the database open (a dead owner process, or our own
 * writer thread that has exited).
 */
export function recoverStaleLock(dbPath: string): StaleLockRecovery {
  let journalReplayed = false;
  let pagesRestored = 0;
  if (existsSync(journalPathOf(dbPath))) {
    const replay = rollbackHotJournal(dbPath);
    journalReplayed = replay.replayed;
    pagesRestored = replay.pagesRestored;
    if (replay.replayed) log.warn('rolled back the journal of an interrupted transaction', { db: dbPath, pages: replay.pagesRestored });
  }
  const walBytes = statSync(`${dbPath}-wal`, { throwIfNoEntry: false })?.size ?? 0;
  if (walBytes > 0) log.warn('write-ahead log left by the previous owner; SQLite recovers its commits at open', { db: dbPath, wal_bytes: walBytes });
  const lockDir = lockDirOf(dbPath);
  const lockRemoved = existsSync(lockDir);
  if (lockRemoved) {
    rmdirSync(lockDir);
    log.warn('removed stale database lock', { db: dbPath, lock: lockDir });
  }
  return { journalReplayed, pagesRestored, walBytes, lockRemoved };
}

/**
 * Written whole under a temporary name, then renamed: a reader never sees a torn record. A file
 * that could not be written (disk full, read-only file system) is removed and the error names the
 * database and the errno (issue 15, defect 1).
 */
function writeOwner(dbPath: string, path: string): void {
  const record: OwnerRecord = { pid: process.pid, since: new Date().toISOString() };
  const tmp = `${path}.${process.pid}.tmp`;
  try {
    writeFileSync(tmp, JSON.stringify(record));
    renameSync(tmp, path);
  } catch (err) {
    removeIfPresent(tmp);
    throw storageError(dbPath, err, `writing its owner file ${path}`);
  }
}

/** One clear start-up error: the database, the errno, and what we were doing. */
function storageError(dbPath: string, err: unknown, doing: string): GatewayError {
  return new GatewayError('store_failed', `cannot use database ${dbPath}: ${errnoText(err)} ${doing}`, { cause: err });
}

function removeIfPresent(path: string): void {
  try {
    unlinkSync(path);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
  }
}

function readOwner(path: string): OwnerRecord | null {
  try {
    const parsed = JSON.parse(readFileSync(path, 'utf8')) as Partial<OwnerRecord>;
    return typeof parsed.pid === 'number' ? (parsed as OwnerRecord) : null;
  } catch {
    return null; // torn or foreign content: treat as no live owner
  }
}
