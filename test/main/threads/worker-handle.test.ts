import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { afterEach, beforeAll, afterAll, describe, expect, it } from 'vitest';
import { WorkerHandle, type WorkerHandleOptions } from '../../../src/main/threads/worker-handle.js';
import { setLogLevel } from '../../../src/shared/log.js';
import type { ProbeApi } from '../../support/workers/probe-worker.js';

setFlagsFromString('--expose-gc');
const gc = runInNewContext('gc') as () => void;

const PROBE = new URL('../../support/workers/probe-worker.ts', import.meta.url).href;

/** Real worker threads running test/support/workers/probe-worker.ts. */
describe('WorkerHandle', () => {
  const handles: WorkerHandle<ProbeApi>[] = [];
  beforeAll(() => setLogLevel('silent'));
  afterAll(() => setLogLevel('info'));
  afterEach(async () => {
    for (const h of handles.splice(0)) await h.close();
  });

  type Events = { up: boolean[]; down: number[]; notices: unknown[] };
  function probe(mode: 'ok' | 'refuse' | 'throw', overrides: Partial<WorkerHandleOptions<ProbeApi>> = {}): { handle: WorkerHandle<ProbeApi>; events: Events } {
    const events: Events = { up: [], down: [], notices: [] };
    const handle = new WorkerHandle<ProbeApi>({
      name: 'probe',
      entry: PROBE,
      downCode: 'unavailable',
      spawnData: () => ({ data: { mode } }),
      onUp: (restarted) => events.up.push(restarted),
      onDown: (code) => events.down.push(code),
      onMessage: (msg) => events.notices.push(msg),
      restart: { backoff: { baseMs: 10, capMs: 10, random: () => 0 }, stableAfterMs: 60_000, retryFirstStart: false },
      ...overrides,
    });
    handles.push(handle);
    return { handle, events };
  }
  const nextUp = (events: Events, count: number) =>
    new Promise<void>((resolve) => {
      const poll = () => (events.up.length >= count ? resolve() : setTimeout(poll, 5));
      poll();
    });

  it('starts on the ready handshake and calls the thread', async () => {
    const { handle, events } = probe('ok');
    await handle.start();
    expect(handle.isUp).toBe(true);
    expect(await handle.call((api) => api.echo(42))).toBe(42);
    expect(events.up).toEqual([false]);
  });

  it("rejects start with the thread's own coded reason when it reports start_failed", async () => {
    const { handle, events } = probe('refuse');
    await expect(handle.start()).rejects.toMatchObject({ code: 'store_failed', message: expect.stringContaining('EACCES') });
    expect(handle.isUp).toBe(false);
    expect(events.up).toEqual([]);
  });

  it('rejects start (never hangs) when the thread throws during start-up', async () => {
    const { handle } = probe('throw');
    await expect(handle.start()).rejects.toMatchObject({ code: 'unavailable', message: expect.stringContaining('probe blew up at start-up') });
    await expect(handle.call((api) => api.echo(1))).rejects.toMatchObject({ code: 'unavailable' });
  });

  it('fails a call in flight with the down code when the thread dies, instead of hanging', async () => {
    const { handle } = probe('ok');
    await handle.start();
    const pending = handle.call((api) => api.hang());
    await handle.thread!.terminate();
    await expect(pending).rejects.toMatchObject({ code: 'unavailable' });
  });

  it('restarts a thread that died with backoff and reports down, then up again', async () => {
    const { handle, events } = probe('ok');
    await handle.start();
    const first = handle.thread;
    void handle.call((api) => api.exit(3)).catch(() => undefined);
    await nextUp(events, 2);
    expect(events.down).toEqual([3]);
    expect(events.up).toEqual([false, true]);
    expect(handle.thread).not.toBe(first);
    expect(handle.crashes).toBe(1);
    expect(await handle.call((api) => api.echo(7))).toBe(7);
  });

  it('lets calls made during a restart wait for the new thread when asked to', async () => {
    const { handle, events } = probe('ok', { callsWaitForRestart: true });
    await handle.start();
    await handle.thread!.terminate();
    expect(handle.isUp).toBe(false);
    expect(await handle.call((api) => api.echo(5))).toBe(5);
    expect(events.up).toEqual([false, true]);
  });

  it('gives up after maxRestarts in a row; waiting calls fail', async () => {
    const { handle, events } = probe('ok', {
      callsWaitForRestart: true,
      restart: { backoff: { baseMs: 10, capMs: 10, random: () => 0 }, stableAfterMs: 60_000, retryFirstStart: false, maxRestarts: 0 },
    });
    await handle.start();
    await handle.thread!.terminate();
    await expect(handle.call((api) => api.echo(1))).rejects.toMatchObject({ code: 'unavailable' });
    expect(events.up).toEqual([false]);
  });

  it('hands tagged notices to onMessage, never comlink replies', async () => {
    const { handle, events } = probe('ok');
    await handle.start();
    await handle.call((api) => api.echo(1));
    await handle.call((api) => api.notice('hello'));
    await new Promise((r) => setTimeout(r, 20));
    expect(events.notices).toEqual([{ t: 'notice', text: 'hello' }]);
  });

  it('close runs the graceful call, ends the thread, refuses later calls and restarts nothing', async () => {
    const { handle, events } = probe('ok');
    await handle.start();
    const thread = handle.thread!;
    const exited = new Promise<number>((resolve) => thread.once('exit', resolve));
    let graceful = false;
    await handle.close(async (api) => {
      graceful = (await api.echo(1)) === 1;
    });
    expect(graceful).toBe(true);
    await exited;
    await expect(handle.call((api) => api.echo(1))).rejects.toMatchObject({ code: 'shutting_down' });
    await new Promise((r) => setTimeout(r, 50));
    expect(events.up).toEqual([false]);
    expect(events.down).toEqual([]);
  });

  it('does not retain call results after the caller drops them (no leak per call)', async () => {
    const { handle } = probe('ok');
    await handle.start();
    const refs: Array<WeakRef<object>> = [];
    for (let i = 0; i < 20; i++) refs.push(new WeakRef(await handle.call((api) => api.payload(64))));
    for (let round = 0; round < 5 && refs.some((r) => r.deref()); round++) {
      await new Promise((r) => setTimeout(r, 10));
      gc();
    }
    expect(refs.filter((r) => r.deref() !== undefined)).toHaveLength(0);
  });
});
