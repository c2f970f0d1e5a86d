import { closeSync, existsSync, mkdirSync, openSync, readFileSync, rmdirSync, unlinkSync, writeSync } from 'node:fs';
import { dirname } from 'node:path';
import { errnoText } from '../../shared/errno.js';
import { GatewayError } from '../../shared/errors.js';
import { createLogger } from '../../shared/log.js';
import { journalPathOf, rollbackHotJournal } from './hot-journal.js';

/**
 * Single-owner guard for the database file.
 *
 * the SQLite binding we use locks with a `<db>.lock` directory that other SQLite clients cannot see, and a
 * process killed mid-transaction leaves it behind: every later open then says "database is locked"
 * forever. A lock directory alone cannot tell a dead owner from a live one, so we keep our own
 * `<db>.owner` file (pid + process start time + boot id). At start-up:
 *   - owner file of a live process → refuse (another gateway uses this database);
 *   - owner file of a dead process → the lock is provably stale: replay the hot journal (the
 *     binding cannot, see hot-journal.ts), remove the lock directory, take ownership;
 *   - lock directory without any owner file → someone else's lock: refuse and say how to fix it.
 */

const log = createLogger('store.owner');

interface OwnerRecord {
  pid: number;
  startTicks: string | null;
  bootId: string | null;
  since: string;
}

export interface DbOwnership {
  readonly ownerPath: string;
  /** Pid of the dead owner we took over from (-1 if its file was unreadable), else null. */
  readonly staleOwnerPid: number | null;
  /** What start-up had to repair, for the log and tests. */
  readonly recovered: StaleLockRecovery;
  release(): void;
}

export function lockDirOf(dbPath: string): string {
  return `${dbPath}.lock`;
}

export function ownerPathOf(dbPath: string): string {
  return `${dbPath}.owner`;
}

export function acquireDbOwnership(dbPath: string): DbOwnership {
  try {
    mkdirSync(dirname(dbPath), { recursive: true });
  } catch (err) {
    throw storageError(dbPath, err, `creating its directory ${dirname(dbPath)}`);
  }
  const ownerPath = ownerPathOf(dbPath);
  const lockDir = lockDirOf(dbPath);
  let staleOwnerPid: number | null = null;

  for (let attempt = 0; ; attempt++) {
    try {
      writeOwnerFile(ownerPath);
      break;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST' || attempt > 0) throw storageError(dbPath, err, `creating its owner file ${ownerPath}`);
    }
    const existing = readOwner(ownerPath);
    if (existing && isAlive(existing)) {
      throw new GatewayError(
        'store_failed',
        `database ${dbPath} is in use by another kline-gateway process (pid ${existing.pid}, since ${existing.since}); stop it first`,
      );
    }
    staleOwnerPid = existing?.pid ?? -1;
    log.warn('stale database owner found; taking over', { db: dbPath, stale_pid: existing?.pid ?? null });
    unlinkSync(ownerPath);
  }

  let recovered: StaleLockRecovery;
  try {
    if (staleOwnerPid === null && existsSync(lockDir)) {
      throw new GatewayError(
        'store_failed',
        `database ${dbPath} is locked (${lockDir} exists) but no kline-gateway owns it; another program may be using it. ` +
          `If none is, remove the directory ${lockDir} and start again`,
      );
    }
    recovered = staleOwnerPid === null ? NOTHING_RECOVERED : recoverStaleLock(dbPath);
  } catch (err) {
    unlinkSync(ownerPath);
    throw err;
  }

  return {
    ownerPath,
    staleOwnerPid,
    recovered,
    release() {
      try {
        unlinkSync(ownerPath);
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
      }
    },
  };
}

export interface StaleLockRecovery {
  readonly journalReplayed: boolean;
  readonly pagesRestored: number;
  readonly lockRemoved: boolean;
}

const NOTHING_RECOVERED: StaleLockRecovery = { journalReplayed: false, pagesRestored: 0, lockRemoved: false };

/**
 * Repairs what a dead opener left: rolls back its hot journal, then removes its lock directory.
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
  const lockDir = lockDirOf(dbPath);
  const lockRemoved = existsSync(lockDir);
  if (lockRemoved) {
    rmdirSync(lockDir);
    log.warn('removed stale database lock', { db: dbPath, lock: lockDir });
  }
  return { journalReplayed, pagesRestored, lockRemoved };
}

/** Creates the owner file with our record; a file it could not complete (disk full) is removed. */
function writeOwnerFile(ownerPath: string): void {
  const fd = openSync(ownerPath, 'wx');
  try {
    writeSync(fd, JSON.stringify(selfRecord()));
  } catch (err) {
    closeSync(fd);
    unlinkSync(ownerPath);
    throw err;
  }
  closeSync(fd);
}

/** One clear start-up error: the database, the errno, and what we were doing. */
function storageError(dbPath: string, err: unknown, doing: string): GatewayError {
  return new GatewayError('store_failed', `cannot use database ${dbPath}: ${errnoText(err)} ${doing}`, { cause: err });
}

function selfRecord(): OwnerRecord {
  return { pid: process.pid, startTicks: processStartTicks(process.pid), bootId: bootId(), since: new Date().toISOString() };
}

function readOwner(path: string): OwnerRecord | null {
  try {
    const parsed = JSON.parse(readFileSync(path, 'utf8')) as Partial<OwnerRecord>;
    return typeof parsed.pid === 'number' ? (parsed as OwnerRecord) : null;
  } catch {
    return null; // torn or foreign content: treat as no live owner
  }
}

/** Alive = same boot, the pid exists, and it is the same process (not a reused pid). */
function isAlive(owner: OwnerRecord): boolean {
  const currentBoot = bootId();
  if (owner.bootId && currentBoot && owner.bootId !== currentBoot) return false;
  try {
    process.kill(owner.pid, 0);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'EPERM') return false;
  }
  const ticks = processStartTicks(owner.pid);
  return !(owner.startTicks && ticks && owner.startTicks !== ticks);
}

/** Field 22 of /proc/<pid>/stat: start time in clock ticks since boot (Linux only). */
function processStartTicks(pid: number): string | null {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const afterComm = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return afterComm[19] ?? null;
  } catch {
    return null;
  }
}

function bootId(): string | null {
  try {
    return readFileSync('/proc/sys/kernel/random/boot_id', 'utf8').trim();
  } catch {
    return null;
  }
}
