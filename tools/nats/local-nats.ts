import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { freePort } from '../lib/free-port.js';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createConnection } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/**
 * A throwaway nats-server with JetStream on a free loopback port (tests, `npm run cluster`,
 * bench:cluster): `nats-server -js -sd <tmp> -a 127.0.0.1 -p <port>`, its store in a temporary
 * directory removed by `destroy()`. `stop()` / `start()` restart it on the same port and store, the
 * way an operator's restart would (JetStream data survives). Binary: $KLINE_NATS_SERVER, else
 * `nats-server` on the PATH (Debian's package `nats-server`, 2.9).
 */

/** nats-server starts in milliseconds; a loaded machine may need a few seconds. */
const START_TIMEOUT_MS = 20_000;
const STOP_TIMEOUT_MS = 10_000;
const PORT_ATTEMPTS = 3;

export interface LocalNats {
  readonly port: number;
  readonly url: string;
  readonly running: boolean;
  /** Stops the server: SIGTERM (graceful) or SIGKILL (a crash). */
  stop(signal?: 'SIGTERM' | 'SIGKILL'): Promise<void>;
  /** Starts it again on the same port with the same JetStream store. */
  start(): Promise<void>;
  log(): string;
  /** Stops it if running and removes its store. */
  destroy(): Promise<void>;
}

export function natsServerBinary(): string {
  return process.env.KLINE_NATS_SERVER || 'nats-server';
}

/** Why a local nats-server cannot be started here, or null when it can. */
export function localNatsUnavailable(): string | null {
  const probe = spawnSync(natsServerBinary(), ['--version'], { encoding: 'utf8' });
  if (probe.error || probe.status !== 0)
    return `nats-server is not installed (${natsServerBinary()} not runnable; apt-get install nats-server, or set KLINE_NATS_SERVER)`;
  return null;
}

export async function startLocalNats(options: { port?: number } = {}): Promise<LocalNats> {
  const why = localNatsUnavailable();
  if (why) throw new Error(why);
  const root = mkdtempSync(join(tmpdir(), 'kline-nats-'));
  const logFile = join(root, 'server.log');
  let child: ChildProcess | null = null;
  let port = 0;
  const startOn = async (p: number) => {
    const proc = spawn(natsServerBinary(), ['-js', '-sd', join(root, 'js'), '-a', '127.0.0.1', '-p', String(p), '-l', logFile], { stdio: 'ignore' });
    const exited = new Promise<string>((resolve) => proc.once('exit', (code, signal) => resolve(`exited (${code ?? signal})`)));
    const ready = await Promise.race([listening(p, START_TIMEOUT_MS), exited]);
    if (ready !== true) {
      proc.kill('SIGKILL');
      throw new Error(`nats-server on port ${p} ${ready === false ? `did not listen within ${START_TIMEOUT_MS} ms` : ready}: ${tail(logFile)}`);
    }
    child = proc;
  };
  try {
    for (let attempt = 1; ; attempt++) {
      port = attempt === 1 && options.port ? options.port : await freePort();
      try {
        await startOn(port);
        break;
      } catch (err) {
        if (attempt >= PORT_ATTEMPTS || !/address already in use/i.test((err as Error).message)) throw err;
      }
    }
  } catch (err) {
    rmSync(root, { recursive: true, force: true });
    throw new Error(`could not start a local nats-server: ${(err as Error).message}`, { cause: err });
  }
  const stop = async (signal: 'SIGTERM' | 'SIGKILL' = 'SIGTERM') => {
    const proc = child;
    if (!proc) return;
    child = null;
    const gone = new Promise<void>((resolve) => (proc.exitCode !== null || proc.signalCode !== null ? resolve() : proc.once('exit', () => resolve())));
    proc.kill(signal);
    const timer = setTimeout(() => proc.kill('SIGKILL'), STOP_TIMEOUT_MS);
    await gone;
    clearTimeout(timer);
  };
  return {
    port,
    url: `nats://127.0.0.1:${port}`,
    get running() {
      return child !== null;
    },
    stop,
    start: () => startOn(port),
    log: () => tail(logFile, 1_000_000),
    async destroy() {
      await stop('SIGKILL');
      rmSync(root, { recursive: true, force: true });
    },
  };
}

/** Polls the port until it accepts a TCP connection (true) or `timeoutMs` passes (false). */
async function listening(port: number, timeoutMs: number): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    const ok = await new Promise<boolean>((resolve) => {
      const socket = createConnection({ host: '127.0.0.1', port }, () => {
        socket.destroy();
        resolve(true);
      });
      socket.once('error', () => resolve(false));
    });
    if (ok) return true;
    await new Promise((r) => setTimeout(r, 25));
  }
  return false;
}

function tail(file: string, bytes = 2000): string {
  try {
    const text = readFileSync(file, 'utf8');
    return text.slice(-bytes);
  } catch {
    return '(no log)';
  }
}
