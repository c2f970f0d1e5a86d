import { WebSocket } from 'undici';

/**
 * A DevTools-protocol session with a process started with `--inspect=127.0.0.1:0` (GatewayProcess
 * `nodeArgs`): Node prints the session's address on stderr. Memory probes use it to run a full
 * garbage collection in the gateway's main thread before they read its memory, so that what they
 * compare is what is retained, not where V8's collector happened to be.
 */
export class InspectorSession {
  private nextId = 1;
  private readonly waiting = new Map<number, { resolve(result: unknown): void; reject(err: Error): void }>();

  private constructor(private readonly ws: WebSocket) {
    ws.addEventListener('message', (ev) => {
      const msg = JSON.parse(String(ev.data)) as { id?: number; result?: unknown; error?: { message: string } };
      const waiter = msg.id === undefined ? undefined : this.waiting.get(msg.id);
      if (!waiter) return;
      this.waiting.delete(msg.id!);
      if (msg.error) waiter.reject(new Error(`inspector: ${msg.error.message}`));
      else waiter.resolve(msg.result);
    });
  }

  /** Connects to the address in the process's "Debugger listening on ws://…" line. */
  static async connect(logs: readonly string[]): Promise<InspectorSession> {
    const url = logs.map((l) => /Debugger listening on (ws:\/\/\S+)/.exec(l)?.[1]).find(Boolean);
    if (!url) throw new Error(`no inspector address in the process's output (started without --inspect?):\n${logs.join('\n')}`);
    const ws = new WebSocket(url);
    await new Promise<void>((resolve, reject) => {
      ws.addEventListener('open', () => resolve(), { once: true });
      ws.addEventListener('error', () => reject(new Error(`cannot reach the inspector at ${url}`)), { once: true });
    });
    return new InspectorSession(ws);
  }

  call<T = unknown>(method: string, params: Record<string, unknown> = {}): Promise<T> {
    const id = this.nextId++;
    return new Promise<T>((resolve, reject) => {
      this.waiting.set(id, { resolve: resolve as (r: unknown) => void, reject });
      this.ws.send(JSON.stringify({ id, method, params }));
    });
  }

  /** A full collection of the main thread's heap (the inspector's own "collect garbage"). */
  collectGarbage(): Promise<void> {
    return this.call('HeapProfiler.collectGarbage').then(() => undefined);
  }

  /** `process.memoryUsage()` of the inspected process, read in its main thread. */
  async memoryUsage(): Promise<NodeJS.MemoryUsage> {
    const { result } = await this.call<{ result: { value: NodeJS.MemoryUsage } }>('Runtime.evaluate', {
      expression: 'process.memoryUsage()',
      returnByValue: true,
    });
    return result.value;
  }

  close(): void {
    this.ws.close();
  }
}
