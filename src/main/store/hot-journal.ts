import { closeSync, fstatSync, fsyncSync, ftruncateSync, openSync, readSync, unlinkSync, writeSync } from 'node:fs';

/**
 * Rolls back a hot SQLite rollback journal ourselves.
 *
 * Why: the SQLite binding's VFS (sqlite-candle-store.ts) implements xCheckReservedLock as "does `<db>.lock` exist", and it
 * creates that directory for every lock level. A connection holding its own SHARED lock therefore
 * always believes another process holds RESERVED, so SQLite never treats a leftover journal as hot
 * and never rolls it back: after a kill -9 during a commit the database stays half-written
 * ("database disk image is malformed"; reproduced in test/writer/crash-recovery.test.ts). Stock
 * SQLite would replay the journal on open; we do the same replay before opening.
 *
 * Format (https://www.sqlite.org/fileformat.html#the_rollback_journal and pager.c playback):
 * segments of [sector-padded header][nRec × (pgno u32 BE, page image, checksum u32 BE)].
 * Header: magic@0, nRec@8, checksum nonce@12, original page count@16, sector size@20,
 * page size@24. A zeroed header (journal_mode=PERSIST after commit) or an absent journal means
 * nothing to roll back.
 */

const MAGIC = Buffer.from([0xd9, 0xd5, 0x05, 0xf9, 0x20, 0xa1, 0x63, 0xd7]);
const HEADER_FIELDS_BYTES = 28;

export interface JournalReplay {
  /** True when a hot journal was found and replayed. */
  readonly replayed: boolean;
  readonly pagesRestored: number;
  /** Database size in pages after the rollback. */
  readonly databasePages: number;
  readonly reason: string;
}

export function journalPathOf(dbPath: string): string {
  return `${dbPath}-journal`;
}

/**
 * Replays `<db>-journal` into `<db>` if it is hot, then deletes it. Only call this when no other
 * process can be using the database (our owner file proves it: see db-owner.ts).
 */
export function rollbackHotJournal(dbPath: string): JournalReplay {
  const journalPath = journalPathOf(dbPath);
  let jfd: number;
  try {
    jfd = openSync(journalPath, 'r');
  } catch {
    return { replayed: false, pagesRestored: 0, databasePages: -1, reason: 'no journal' };
  }
  let dbfd = -1;
  try {
    const journalSize = fstatSync(jfd).size;
    const first = readAt(jfd, 0, HEADER_FIELDS_BYTES);
    if (first.length < HEADER_FIELDS_BYTES || !first.subarray(0, 8).equals(MAGIC)) {
      return finish(jfd, journalPath, { replayed: false, pagesRestored: 0, databasePages: -1, reason: 'journal not hot (no valid header)' });
    }
    dbfd = openSync(dbPath, 'r+');
    let offset = 0;
    let pagesRestored = 0;
    let truncatedTo = -1;
    while (offset + HEADER_FIELDS_BYTES <= journalSize) {
      const header = readAt(jfd, offset, HEADER_FIELDS_BYTES);
      if (!header.subarray(0, 8).equals(MAGIC)) break;
      let nRec = header.readUInt32BE(8);
      const nonce = header.readUInt32BE(12);
      const originalPages = header.readUInt32BE(16);
      const sectorSize = header.readUInt32BE(20);
      const pageSize = header.readUInt32BE(24);
      if (!isPowerOfTwo(pageSize) || pageSize < 512 || pageSize > 65536) break;
      if (!isPowerOfTwo(sectorSize) || sectorSize < 32 || sectorSize > 65536) break;
      const recordSize = pageSize + 8;
      let cursor = offset + sectorSize;
      // 0xFFFFFFFF: written without syncs; the rest of the file is records (pager.c).
      if (nRec === 0xffffffff) nRec = Math.floor((journalSize - cursor) / recordSize);
      if (truncatedTo < 0) {
        // The first header holds the size before the transaction: drop pages it appended.
        ftruncateIfLarger(dbfd, originalPages * pageSize);
        truncatedTo = originalPages;
      }
      let torn = false;
      for (let r = 0; r < nRec; r++) {
        if (cursor + recordSize > journalSize) {
          torn = true; // journal cut short: the database was never written past this point
          break;
        }
        const record = readAt(jfd, cursor, recordSize);
        const pgno = record.readUInt32BE(0);
        const page = record.subarray(4, 4 + pageSize);
        if (pgno === 0 || record.readUInt32BE(4 + pageSize) !== checksum(nonce, page)) {
          torn = true; // invalid record ends playback, as in pager_playback_one_page
          break;
        }
        if (pgno <= truncatedTo) {
          writeSync(dbfd, page, 0, pageSize, (pgno - 1) * pageSize);
          pagesRestored++;
        }
        cursor += recordSize;
      }
      if (torn) break;
      offset = Math.ceil(cursor / sectorSize) * sectorSize;
    }
    fsyncSync(dbfd);
    const databasePages = Math.floor(fstatSync(dbfd).size / Math.max(1, pageSizeOf(first)));
    return finish(jfd, journalPath, { replayed: true, pagesRestored, databasePages, reason: 'hot journal rolled back' });
  } finally {
    if (dbfd >= 0) closeSync(dbfd);
  }
}

/** pager_cksum(): the nonce plus every 200th byte of the page, from the end, excluding byte 0. */
export function checksum(nonce: number, page: Uint8Array): number {
  let sum = nonce >>> 0;
  for (let i = page.length - 200; i > 0; i -= 200) sum = (sum + page[i]!) >>> 0;
  return sum;
}

function finish(jfd: number, journalPath: string, result: JournalReplay): JournalReplay {
  closeSync(jfd);
  // The journal is consumed (or was never hot): remove it so the next open starts clean.
  unlinkSync(journalPath);
  return result;
}

function readAt(fd: number, position: number, length: number): Buffer {
  const buf = Buffer.alloc(length);
  const n = readSync(fd, buf, 0, length, position);
  return n === length ? buf : buf.subarray(0, n);
}

function ftruncateIfLarger(fd: number, size: number): void {
  if (fstatSync(fd).size > size) ftruncateSync(fd, size);
}

function isPowerOfTwo(n: number): boolean {
  return n > 0 && (n & (n - 1)) === 0;
}

function pageSizeOf(header: Buffer): number {
  return header.readUInt32BE(24);
}
