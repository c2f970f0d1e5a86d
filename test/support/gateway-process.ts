import { spawn, type ChildProcess } from 'node:child_process';

const CLI = new URL('../../src/cli/cli.ts', import.meta.url).pathname;

export type ProcessExit = { code: number | null; signal: NodeJS.Signals | null };

/** A gateway process that ended before it listened: how it exited and everything it printed. */
export class GatewayStartError extends Error {
  constructor(
    message: string,
    readonly exit: ProcessExit | null,
    readonly logs: readonly string[],
  ) {
    super(message);
    this.name = 'GatewayStartError';
  }
}

/**
 * The gateway as a separate OS process (kill -9 and restart tests, benchmarks), run from
 * TypeScript source. `entry` defaults to the real CLI's `serve`; benchmarks pass their own entry.
 */
export class GatewayProcess {
  readonly logs: string[] = [];
  url = '';
  port = 0;
  private exitInfo: { code: number | null; signal: NodeJS.Signals | null } | null = null;
  private readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;

  private constructor(private readonly child: ChildProcess) {
    this.exited = new Promise((resolve) => child.on('exit', (code, signal) => resolve((this.exitInfo = { code, signal }))));
  }

  /** `nodeArgs`: flags for node itself (benches pass `--cpu-prof`; the profile is written on a graceful exit). */
  static async start(env: Record<string, string>, timeoutMs = 20_000, entry: string[] = [CLI, 'serve'], nodeArgs: string[] = []): Promise<GatewayProcess> {
    return GatewayProcess.spawn(env, entry, nodeArgs).listening(timeoutMs);
  }

  /** Starts the process without waiting for it to listen (a test that watches start-up's log). */
  static spawn(env: Record<string, string>, entry: string[] = [CLI, 'serve'], nodeArgs: string[] = []): GatewayProcess {
    const child = spawn(process.execPath, [...nodeArgs, '--import', 'tsx', ...entry], {
      env: { ...process.env, TRADE_CANVAS_HOST: '127.0.0.1', TRADE_CANVAS_PORT: '0', TRADE_CANVAS_LOG_LEVEL: 'info', ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const gw = new GatewayProcess(child);
    let buffered = '';
    const onData = (chunk: Buffer) => {
      buffered += chunk.toString();
      let nl: number;
      while ((nl = buffered.indexOf('\n')) >= 0) {
        gw.logs.push(buffered.slice(0, nl));
        buffered = buffered.slice(nl + 1);
      }
    };
    child.stdout!.on('data', onData);
    child.stderr!.on('data', onData);
    return gw;
  }

  /** Resolves once the gateway logged its 'listening' line (url and port set); fails if it exits first. */
  async listening(timeoutMs = 20_000): Promise<this> {
    const started = Date.now();
    while (!this.url) {
      const line = this.logs.find((l) => l.includes('"msg":"listening"'));
      if (line) {
        this.url = JSON.parse(line).url as string;
        this.port = Number(new URL(this.url).port);
      } else if (this.exitInfo) {
        throw new GatewayStartError(`gateway exited during start-up (${JSON.stringify(this.exitInfo)}):\n${this.logs.join('\n')}`, this.exitInfo, this.logs);
      } else if (Date.now() - started > timeoutMs) {
        this.child.kill('SIGKILL');
        throw new GatewayStartError(`gateway did not start in ${timeoutMs} ms:\n${this.logs.join('\n')}`, null, this.logs);
      }
      await new Promise((r) => setTimeout(r, 20));
    }
    return this;
  }

  kill(signal: NodeJS.Signals): Promise<{ code: number | null; signal: NodeJS.Signals | null }> {
    this.child.kill(signal);
    return this.exited;
  }

  get pid(): number {
    return this.child.pid!;
  }

  whenExited(): Promise<{ code: number | null; signal: NodeJS.Signals | null }> {
    return this.exited;
  }
}

export interface CliExit {
  readonly code: number | null;
  readonly signal: NodeJS.Signals | null;
  readonly stdout: string[];
  readonly stderr: string[];
}

/**
 * Runs the real CLI (`serve` by default) until it exits by itself: start-up failures. Fails when it
 * is still running after `timeoutMs` (a gateway that hangs instead of exiting is a failure too).
 * `uid`/`gid` run it as another user (root tests use nobody to meet EACCES).
 */
export async function runCliToExit(
  env: Record<string, string>,
  options: { timeoutMs?: number; uid?: number; gid?: number; args?: string[] } = {},
): Promise<CliExit> {
  const child = spawn(process.execPath, ['--import', 'tsx', CLI, ...(options.args ?? ['serve'])], {
    env: { ...process.env, TRADE_CANVAS_HOST: '127.0.0.1', TRADE_CANVAS_PORT: '0', TRADE_CANVAS_LOG_LEVEL: 'info', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
    uid: options.uid,
    gid: options.gid,
  });
  let stdout = '';
  let stderr = '';
  child.stdout!.on('data', (c: Buffer) => (stdout += c.toString()));
  child.stderr!.on('data', (c: Buffer) => (stderr += c.toString()));
  const timeoutMs = options.timeoutMs ?? 20_000;
  let timer: NodeJS.Timeout | undefined;
  const exited = await Promise.race([
    new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => child.on('exit', (code, signal) => resolve({ code, signal }))),
    new Promise<null>((resolve) => (timer = setTimeout(() => resolve(null), timeoutMs))),
  ]);
  clearTimeout(timer);
  if (!exited) {
    child.kill('SIGKILL');
    throw new Error(`the CLI was still running after ${timeoutMs} ms:\n${stdout}\n${stderr}`);
  }
  const lines = (text: string) => text.split('\n').filter((l) => l.length > 0);
  return { ...exited, stdout: lines(stdout), stderr: lines(stderr) };
}
