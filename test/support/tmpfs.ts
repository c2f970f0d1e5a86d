import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, statfsSync, unlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/**
 * A small tmpfs of our own: real ENOSPC and EROFS for storage-fault tests, no fault-injection
 * seam. Mounting needs root (or CAP_SYS_ADMIN); where it is not allowed the suites skip and say so.
 */
export interface Tmpfs {
  readonly dir: string;
  /** Takes every free byte (a file named `filler`): the next write that needs space fails ENOSPC. */
  fill(): void;
  /** Frees what `fill` took. */
  free(): void;
  /** Fails (EBUSY) while a process holds a file on it open for writing: the kernel's rule. */
  remountReadOnly(): void;
  remountReadWrite(): void;
  unmount(): void;
}

let unavailable: string | null | undefined;

/** Why tmpfs cannot be mounted here, or null when it can (probed once). */
export function tmpfsUnavailableReason(): string | null {
  if (unavailable !== undefined) return unavailable;
  try {
    mountTmpfs(64).unmount();
    unavailable = null;
  } catch (err) {
    unavailable = `cannot mount a tmpfs here (${(err as Error).message.split('\n')[0]}); storage-fault tests need root or CAP_SYS_ADMIN`;
  }
  return unavailable;
}

export function mountTmpfs(sizeKiB: number): Tmpfs {
  const dir = mkdtempSync(join(tmpdir(), 'kline-gw-tmpfs-'));
  try {
    execFileSync('mount', ['-t', 'tmpfs', '-o', `size=${sizeKiB}k,mode=0777`, 'tmpfs', dir], { stdio: 'pipe' });
  } catch (err) {
    rmSync(dir, { recursive: true, force: true });
    throw err;
  }
  const filler = join(dir, 'filler');
  return {
    dir,
    fill() {
      const fs = statfsSync(dir);
      try {
        writeFileSync(filler, Buffer.alloc(Number(fs.bavail * fs.bsize)));
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code !== 'ENOSPC') throw err;
      }
    },
    free() {
      unlinkSync(filler);
    },
    remountReadOnly() {
      execFileSync('mount', ['-o', 'remount,ro', dir], { stdio: 'pipe' });
    },
    remountReadWrite() {
      execFileSync('mount', ['-o', 'remount,rw', dir], { stdio: 'pipe' });
    },
    unmount() {
      execFileSync('umount', ['-l', dir], { stdio: 'pipe' });
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
