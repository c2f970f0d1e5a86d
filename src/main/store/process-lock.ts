import { createHash } from 'node:crypto';
import { statSync } from 'node:fs';
import { createServer, type Server } from 'node:net';
import { basename, dirname } from 'node:path';

/**
 * A lock the kernel holds for this process's life: a listening Unix socket in Linux's abstract
 * namespace, named after the file it guards. Binding is atomic (of N processes starting at once
 * exactly one gets it) and the kernel releases it when the process dies — kill -9 included, and
 * before the parent reaps the process (a zombie has no open sockets). No file is left behind, so
 * there is nothing stale to judge by pids, process start times or boot ids.
 *
 * Scope: one host and one network namespace (containers sharing a volume but not a network
 * namespace do not see each other's locks; run one gateway per database there).
 */
export interface ProcessLock {
  release(): Promise<void>;
}

/** The lock's name: the guarded path's directory identity (device + inode) and file name. */
export function processLockName(path: string): string {
  const dir = statSync(dirname(path));
  const digest = createHash('sha256')
    .update(`${dir.dev}:${dir.ino}/${basename(path)}`)
    .digest('hex')
    .slice(0, 40);
  return `\0kline-gateway/${digest}`;
}

/** Takes the lock for `path` (whose directory must exist); resolves null when another process holds it. */
export function tryProcessLock(path: string): Promise<ProcessLock | null> {
  const server: Server = createServer((socket) => socket.destroy());
  return new Promise((resolve, reject) => {
    server.once('error', (err: NodeJS.ErrnoException) => (err.code === 'EADDRINUSE' ? resolve(null) : reject(err)));
    server.listen({ path: processLockName(path), exclusive: true }, () => {
      // The lock must not keep a process alive that is otherwise done (the import command).
      server.unref();
      let released: Promise<void> | null = null;
      resolve({ release: () => (released ??= new Promise<void>((done) => server.close(() => done()))) });
    });
  });
}
