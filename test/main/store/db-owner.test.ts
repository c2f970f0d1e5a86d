import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { acquireDbOwnership, lockDirOf, ownerPathOf } from '../../../src/main/store/db-owner.js';
import { useTempDir } from '../../support/temp-dir.js';

const CHILD = new URL('../../support/db-owner-child.ts', import.meta.url).pathname;

/** A contender process: resolves once it is loaded and waiting for `go`. */
class Contender {
  readonly outcome: Promise<string>;
  private readonly ready: Promise<void>;

  constructor(readonly child: ChildProcess) {
    let out = '';
    let onReady!: () => void;
    this.ready = new Promise((r) => (onReady = r));
    this.outcome = new Promise((resolve) => {
      child.stdout!.on('data', (d) => {
        out += d;
        if (out.includes('ready\n')) onReady();
        const line = out.split('\n').find((l) => l.startsWith('owner ') || l.startsWith('refused '));
        if (line) resolve(line);
      });
      child.on('exit', (code, signal) => resolve(`exited ${code ?? signal}: ${out}`));
    });
  }

  static async start(db: string, ...flags: string[]): Promise<Contender> {
    const c = new Contender(spawn(process.execPath, ['--import', 'tsx', CHILD, db, ...flags], { stdio: ['pipe', 'pipe', 'inherit'] }));
    await c.ready;
    return c;
  }

  go(): void {
    this.child.stdin!.write('go\n');
  }

  /** The owner releases and exits when its stdin ends. */
  async release(): Promise<void> {
    const exited = new Promise((r) => this.child.once('exit', r));
    this.child.stdin!.end();
    await exited;
  }
}

describe('database ownership', () => {
  const tempDir = useTempDir();
  const children: ChildProcess[] = [];
  afterEach(() => {
    for (const c of children.splice(0)) c.kill('SIGKILL');
  });
  const contender = async (db: string, ...flags: string[]) => {
    const c = await Contender.start(db, ...flags);
    children.push(c.child);
    return c;
  };

  it('refuses a second owner while the first is alive, and allows it after release', async () => {
    const db = join(tempDir(), 'market.db');
    const first = await acquireDbOwnership(db);
    await expect(acquireDbOwnership(db)).rejects.toThrowError(new RegExp(`in use by another kline-gateway process \\(pid ${process.pid}, since `));
    await first.release();
    expect(existsSync(ownerPathOf(db))).toBe(false);
    await (await acquireDbOwnership(db)).release();
  });

  it('refuses a lock directory that no gateway owns, saying how to fix it, and leaves nothing behind', async () => {
    const db = join(tempDir(), 'market.db');
    mkdirSync(lockDirOf(db));
    await expect(acquireDbOwnership(db)).rejects.toThrowError(/no kline-gateway owns it.*remove the directory/);
    expect(existsSync(ownerPathOf(db))).toBe(false);
    await (await acquireDbOwnership(join(tempDir(), 'other.db'))).release(); // and nothing held
  });

  it('of N processes started at once on one database, exactly one owns it, every round', async () => {
    const db = join(tempDir(), 'market.db');
    for (let round = 0; round < 4; round++) {
      const all = await Promise.all(Array.from({ length: 6 }, () => contender(db)));
      for (const c of all) c.go();
      const outcomes = await Promise.all(all.map((c) => c.outcome));
      const owners = all.filter((_, i) => outcomes[i]!.startsWith('owner '));
      expect(owners, outcomes.join('\n')).toHaveLength(1);
      // The rest were refused as in use (naming the owner's pid once its owner file is written).
      expect(outcomes.filter((o) => /^refused .*in use by another kline-gateway process/.test(o))).toHaveLength(5);
      await owners[0]!.release();
    }
  });

  it('never takes over from a live owner, whatever is tried meanwhile', async () => {
    const db = join(tempDir(), 'market.db');
    const owner = await contender(db, '--lock-dir');
    owner.go();
    expect(await owner.outcome).toBe(`owner ${owner.child.pid}`);
    const record = readFileSync(ownerPathOf(db), 'utf8');
    const others = await Promise.all(Array.from({ length: 4 }, () => contender(db)));
    for (const c of others) c.go();
    for (const c of others) expect(await c.outcome).toMatch(/^refused .*in use by another kline-gateway process/);
    await expect(acquireDbOwnership(db)).rejects.toThrowError(/in use/);
    expect(readFileSync(ownerPathOf(db), 'utf8')).toBe(record);
    expect(existsSync(lockDirOf(db))).toBe(true);
  });

  it('takes over from an owner killed with SIGKILL and removes its stale lock', async () => {
    const db = join(tempDir(), 'market.db');
    const owner = await contender(db, '--lock-dir');
    owner.go();
    await owner.outcome;
    const exited = new Promise((r) => owner.child.once('exit', r));
    owner.child.kill('SIGKILL');
    await exited;
    const next = await acquireDbOwnership(db);
    expect(next.staleOwnerPid).toBe(owner.child.pid);
    expect(next.recovered.lockRemoved).toBe(true);
    expect(existsSync(lockDirOf(db))).toBe(false);
    await next.release();
  });

  it('counts an owner killed but not yet reaped by its parent as gone', async () => {
    const db = join(tempDir(), 'market.db');
    // `sleep` becomes the owner's parent and never waits for it: killed, it stays a zombie. (An
    // asynchronous list reads /dev/null unless stdin is passed on explicitly, hence fd 3.)
    const shell = spawn('sh', ['-c', `exec 3<&0; "${process.execPath}" --import tsx "${CHILD}" "${db}" --lock-dir <&3 & echo $!; exec sleep 120`], {
      stdio: ['pipe', 'pipe', 'inherit'],
    });
    children.push(shell);
    let out = '';
    const pid = await new Promise<number>((resolve) =>
      shell.stdout!.on('data', (d) => {
        out += d;
        if (out.includes('ready\n')) resolve(Number(out.split('\n')[0]));
      }),
    );
    shell.stdin!.write('go\n');
    await new Promise<void>((resolve) => shell.stdout!.on('data', () => out.includes('owner ') && resolve()));
    process.kill(pid, 'SIGKILL');
    // Wait (bounded by the test timeout) until the kernel reports it a zombie: dead, not reaped.
    while (!/\) Z /.test(readFileSync(`/proc/${pid}/stat`, 'utf8'))) await new Promise((r) => setTimeout(r, 10));
    const next = await acquireDbOwnership(db);
    expect(next.staleOwnerPid).toBe(pid);
    expect(next.recovered.lockRemoved).toBe(true);
    await next.release();
  });
});
