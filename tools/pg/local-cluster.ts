import { execFile, execFileSync } from 'node:child_process';
import { freePort } from '../lib/free-port.js';
import { chownSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);

/**
 * A throwaway PostgreSQL cluster on a free loopback port (tests, `npm run pg`): `initdb` into a
 * temporary directory with trust authentication, `pg_ctl start` listening on 127.0.0.1 only, a
 * socket directory of its own, and everything removed by `destroy()`. PostgreSQL refuses to run
 * as root, so as root the binaries run as the `postgres` user (`runuser`), which owns the data.
 *
 * Binaries: $KLINE_PG_BIN, else Debian's /usr/lib/postgresql/<newest>/bin (package `postgresql`).
 */

const DEBIAN_ROOT = '/usr/lib/postgresql';
/** The server's own start-up can take seconds on a loaded machine; pg_ctl waits this long. */
const START_TIMEOUT_S = 60;
const PORT_ATTEMPTS = 3;

export interface LocalCluster {
  readonly port: number;
  /** The superuser's URL for `database` (default postgres), over TCP on 127.0.0.1. */
  url(database?: string): string;
  /** Creates a database (a fresh name unless given) and returns its URL. */
  createDatabase(name?: string): Promise<string>;
  /** Runs SQL through psql (for set-up and checks that must not go through the gateway). */
  psql(sql: string, database?: string): Promise<string>;
  /** Stops the server (fast: disconnects clients, rolls back their transactions; immediate: as a crash). */
  stop(mode?: 'fast' | 'immediate'): Promise<void>;
  /** Starts it again on the same port. */
  start(): Promise<void>;
  readonly running: boolean;
  /** The server's log (start-up problems, what a test provoked). */
  log(): string;
  /** Stops the server if running and removes every file. */
  destroy(): Promise<void>;
}

/** Where the PostgreSQL binaries are, or null. */
export function pgBinDir(): string | null {
  const configured = process.env.KLINE_PG_BIN;
  if (configured) return existsSync(join(configured, 'initdb')) ? configured : null;
  if (!existsSync(DEBIAN_ROOT)) return null;
  const versions = readdirSync(DEBIAN_ROOT)
    .filter((v) => existsSync(join(DEBIAN_ROOT, v, 'bin', 'initdb')))
    .sort((a, b) => Number(b) - Number(a));
  return versions.length > 0 ? join(DEBIAN_ROOT, versions[0]!, 'bin') : null;
}

/** Why a local cluster cannot be started here, or null when it can. */
export function localClusterUnavailable(): string | null {
  if (!pgBinDir()) return `PostgreSQL is not installed (no initdb under ${DEBIAN_ROOT}/*/bin or $KLINE_PG_BIN; apt-get install postgresql)`;
  if (isRoot() && !hasPostgresUser()) return 'running as root, and there is no postgres user to run the server as';
  return null;
}

export interface LocalClusterOptions {
  /** Extra server settings (`name=value`). */
  readonly settings?: readonly string[];
  /** A fixed port to try first (default: any free one). */
  readonly port?: number;
}

export async function startLocalCluster(options: LocalClusterOptions = {}): Promise<LocalCluster> {
  const bin = pgBinDir();
  const why = localClusterUnavailable();
  if (!bin || why) throw new Error(why ?? 'PostgreSQL is not installed');
  const root = mkdtempSync(join(tmpdir(), 'kline-pg-'));
  const data = join(root, 'data');
  const sockets = join(root, 'sock');
  mkdirSync(sockets);
  if (isRoot()) chownTree(root, data, sockets);
  const asOwner = (tool: string, args: string[]) =>
    isRoot() ? run('runuser', ['-u', 'postgres', '--', join(bin, tool), ...args]) : run(join(bin, tool), args);
  let port = 0;
  let running = false;
  const startOn = async (p: number) => {
    const serverOptions = [`-p ${p}`, `-k ${sockets}`, '-c listen_addresses=127.0.0.1', ...(options.settings ?? []).map((s) => `-c ${s}`)].join(' ');
    await asOwner('pg_ctl', ['-D', data, '-l', join(root, 'server.log'), '-w', '-t', String(START_TIMEOUT_S), '-o', serverOptions, 'start']);
    running = true;
  };
  try {
    // --no-sync: the cluster is thrown away; initdb's fsyncs only cost time on a shared machine.
    await asOwner('initdb', ['-D', data, '-A', 'trust', '-U', 'postgres', '-E', 'UTF8', '--locale=C', '--no-sync']);
    for (let attempt = 1; ; attempt++) {
      port = attempt === 1 && options.port ? options.port : await freePort();
      try {
        await startOn(port);
        break;
      } catch (err) {
        if (attempt >= PORT_ATTEMPTS || !/could not bind|Address already in use|already in use/.test(readLog(root))) throw err;
      }
    }
  } catch (err) {
    rmSync(root, { recursive: true, force: true });
    throw new Error(`could not start a local PostgreSQL cluster: ${(err as Error).message}`, { cause: err });
  }
  // A test process that ends without its afterAll (a crash, a closed pipe) must not leave a server
  // running: stop it (immediate: the data is thrown away) and remove its files on exit.
  const onExit = () => {
    if (running) {
      const args = [join(bin, 'pg_ctl'), '-D', data, '-m', 'immediate', '-w', 'stop'];
      try {
        if (isRoot()) execFileSync('runuser', ['-u', 'postgres', '--', ...args], { stdio: 'ignore' });
        else execFileSync(args[0]!, args.slice(1), { stdio: 'ignore' });
      } catch {
        // already stopped
      }
    }
    rmSync(root, { recursive: true, force: true });
  };
  process.once('exit', onExit);
  let databases = 0;
  const url = (database = 'postgres') => `postgres://postgres@127.0.0.1:${port}/${database}`;
  const psql = async (sql: string, database = 'postgres') =>
    (await run(join(bin, 'psql'), ['-X', '-q', '-A', '-t', '-v', 'ON_ERROR_STOP=1', '-d', url(database), '-c', sql])).stdout.trim();
  return {
    port,
    url,
    psql,
    async createDatabase(name = `kline_${process.pid}_${++databases}`) {
      await psql(`CREATE DATABASE "${name}"`);
      return url(name);
    },
    async stop(mode = 'fast') {
      if (!running) return;
      await asOwner('pg_ctl', ['-D', data, '-m', mode, '-w', 'stop']);
      running = false;
    },
    start: () => startOn(port),
    get running() {
      return running;
    },
    log: () => readLog(root),
    async destroy() {
      if (running) await asOwner('pg_ctl', ['-D', data, '-m', 'immediate', '-w', 'stop']).catch(() => undefined);
      running = false;
      rmSync(root, { recursive: true, force: true });
      process.off('exit', onExit);
    },
  };
}

function isRoot(): boolean {
  return process.getuid?.() === 0;
}

function hasPostgresUser(): boolean {
  try {
    return readFileSync('/etc/passwd', 'utf8')
      .split('\n')
      .some((l) => l.startsWith('postgres:'));
  } catch {
    return false;
  }
}

/** The postgres user must own the data and socket directories (and reach them). */
function chownTree(...dirs: string[]): void {
  const [uid, gid] = postgresIds();
  for (const dir of dirs) {
    mkdirSync(dir, { recursive: true });
    chownSync(dir, uid, gid);
  }
}

function postgresIds(): [number, number] {
  const line = readFileSync('/etc/passwd', 'utf8')
    .split('\n')
    .find((l) => l.startsWith('postgres:'))!;
  const [, , uid, gid] = line.split(':');
  return [Number(uid), Number(gid)];
}

function readLog(root: string): string {
  try {
    return readFileSync(join(root, 'server.log'), 'utf8');
  } catch {
    return '';
  }
}
