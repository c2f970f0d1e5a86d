import { spawn, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));

export interface Exit {
  code: number | null;
  signal: NodeJS.Signals | null;
}

/**
 * `npm run demo -- <args>` as a user runs it, in its own process group (npm, its shell and the
 * demo), so `interrupt()` is a terminal's Ctrl-C: SIGINT to the whole group.
 */
export class DemoProcess {
  output = '';
  private exitInfo: Exit | null = null;
  private readonly exited: Promise<Exit>;

  private constructor(private readonly child: ChildProcess) {
    this.exited = new Promise((resolve) => child.on('exit', (code, signal) => resolve((this.exitInfo = { code, signal }))));
    child.stdout!.on('data', (chunk: Buffer) => (this.output += chunk.toString()));
    child.stderr!.on('data', (chunk: Buffer) => (this.output += chunk.toString()));
  }

  static start(args: string[]): DemoProcess {
    // DEMO_* of the shell running the tests must not change what is tested.
    const env = Object.fromEntries(Object.entries(process.env).filter(([name]) => !name.startsWith('DEMO_')));
    return new DemoProcess(spawn('npm', ['run', 'demo', '--', ...args], { cwd: ROOT, env, detached: true, stdio: ['ignore', 'pipe', 'pipe'] }));
  }

  /** Waits until the output contains `text`; fails early, with the output, if the demo exits. */
  async waitForOutput(text: string, timeoutMs: number): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (!this.output.includes(text)) {
      if (this.exitInfo) throw new Error(`demo exited (${JSON.stringify(this.exitInfo)}) before printing ${JSON.stringify(text)}:\n${this.output}`);
      if (Date.now() > deadline) throw new Error(`demo did not print ${JSON.stringify(text)} within ${timeoutMs} ms:\n${this.output}`);
      await new Promise((r) => setTimeout(r, 50));
    }
  }

  /** Ctrl-C in the terminal: SIGINT to every process of the group. */
  interrupt(): void {
    process.kill(-this.child.pid!, 'SIGINT');
  }

  /** The exit, or null if it takes longer than `timeoutMs`. */
  whenExited(timeoutMs: number): Promise<Exit | null> {
    return Promise.race([this.exited, new Promise<null>((resolve) => setTimeout(() => resolve(null), timeoutMs).unref())]);
  }

  /** Cleanup after a failed test: nothing of the group may outlive it. */
  kill(): void {
    if (this.exitInfo) return;
    try {
      process.kill(-this.child.pid!, 'SIGKILL');
    } catch {
      // already gone
    }
  }
}
