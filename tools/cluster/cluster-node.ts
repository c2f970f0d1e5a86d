import { spawn, type ChildProcess } from 'node:child_process';
import { createWriteStream } from 'node:fs';

const CLI = new URL('../../src/cli/cli.ts', import.meta.url).pathname;

/**
 * One gateway node of `npm run cluster` / bench:cluster as its own OS process (the real CLI's
 * `serve`, from TypeScript source), its log written to `logFile`. `started` resolves with its URL
 * once it logged 'listening', and rejects with the log's tail if it exits first.
 */
export class ClusterNode {
  url = '';
  private readonly child: ChildProcess;
  private readonly exited: Promise<number | null>;
  private tail: string[] = [];
  readonly started: Promise<string>;

  constructor(
    readonly name: string,
    env: Record<string, string>,
    logFile: string,
  ) {
    this.child = spawn(process.execPath, ['--import', 'tsx', CLI, 'serve'], {
      env: { ...process.env, TRADE_CANVAS_HOST: '127.0.0.1', TRADE_CANVAS_PORT: '0', ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const log = createWriteStream(logFile);
    this.exited = new Promise((resolve) => this.child.once('exit', (code) => resolve(code)));
    this.started = new Promise((resolve, reject) => {
      let buffered = '';
      const onData = (chunk: Buffer) => {
        log.write(chunk);
        buffered += chunk.toString();
        const lines = buffered.split('\n');
        buffered = lines.pop()!;
        this.tail = [...this.tail, ...lines].slice(-20);
        const listening = lines.find((l) => l.includes('"msg":"listening"'));
        if (listening && !this.url) {
          this.url = JSON.parse(listening).url as string;
          resolve(this.url);
        }
      };
      this.child.stdout!.on('data', onData);
      this.child.stderr!.on('data', onData);
      void this.exited.then((code) => reject(new Error(`${name} exited (${code}) before it listened:\n${this.tail.join('\n')}`)));
    });
    this.started.catch(() => undefined);
  }

  /** SIGTERM (a graceful stop: ingest flushed, leases released) and waits; SIGKILL after `timeoutMs`. */
  async stop(timeoutMs = 15_000): Promise<void> {
    if (this.child.exitCode !== null || this.child.signalCode !== null) return;
    this.child.kill('SIGTERM');
    const timer = setTimeout(() => this.child.kill('SIGKILL'), timeoutMs);
    await this.exited;
    clearTimeout(timer);
  }

  kill(): void {
    this.child.kill('SIGKILL');
  }

  get pid(): number {
    return this.child.pid!;
  }
}
