import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { afterAll, describe, expect, it } from 'vitest';
import { natsSkipReason } from '../support/nats-server.js';
import { pgSkipReason } from '../support/pg-cluster.js';
import { WsClient } from '../support/gateway-harness.js';
import { waitFor, waitForAsync } from '../support/wait.js';

/**
 * `npm run cluster` as an operator runs it (issue 14 item 5): the script in its own process, no
 * stdin. It must print every node's URL, the nodes must serve what the ingest node ingests (a
 * client on the read node gets candles the fake exchange produced), and Ctrl-C (SIGINT) must stop
 * every process it started, exit 0 and delete its temporary directory.
 */
const SCRIPT = new URL('../../scripts/cluster.ts', import.meta.url).pathname;
const SERIES = 'binance:spot:BTC/USDT:1m';
const START_BOUND_MS = 90_000;
const skip = pgSkipReason() ?? natsSkipReason();

const alive = (pid: number): boolean => {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
};

describe.skipIf(skip !== null)('npm run cluster (process)', () => {
  const child = spawn(process.execPath, ['--import', 'tsx', SCRIPT, '--ingest', '1', '--read', '1', '--bar-seconds', '1'], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (c: Buffer) => (stdout += c.toString()));
  child.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    child.once('exit', (code, signal) => resolve({ code, signal })),
  );
  afterAll(() => {
    if (child.exitCode === null) child.kill('SIGKILL');
  });

  it(
    'prints the URLs, serves candles ingested by its ingest node on its read node, and stops everything on SIGINT',
    { timeout: 4 * START_BOUND_MS },
    async () => {
      await waitFor(
        () => stdout.includes('try a failover') || child.exitCode !== null,
        'the cluster to print its URLs (the failover hint is its last line)',
        START_BOUND_MS,
      );
      expect(child.exitCode, `npm run cluster exited early:\n${stdout}\n${stderr}`).toBeNull();
      const nodeLine = (name: string) => stdout.split('\n').find((l) => l.trim().startsWith(name));
      const readLine = nodeLine('read-1');
      const ingestLine = nodeLine('ingest-1');
      expect(readLine, stdout).toMatch(/http:\/\/127\.0\.0\.1:\d+\/live .*\(pid \d+\)/);
      expect(ingestLine, stdout).toMatch(/\(pid \d+\)/);
      const readUrl = /(http:\/\/127\.0\.0\.1:\d+)\/live/.exec(readLine!)![1]!;
      const pids = [readLine!, ingestLine!].map((l) => Number(/\(pid (\d+)\)/.exec(l)![1]));
      const dir = /logs\s+(\S+)\/<node>\.log/.exec(stdout)![1]!;
      expect(existsSync(dir)).toBe(true);

      // The read node serves what the ingest node committed (history on first open, then live bars).
      let newestServed = 0;
      await waitForAsync(
        async () => {
          const res = await fetch(`${readUrl}/api/market/candles?series_id=${encodeURIComponent(SERIES)}&limit=5`);
          if (res.status !== 200) return false;
          const { candles } = (await res.json()) as { candles: Array<{ candle_time: number }> };
          newestServed = candles.at(-1)?.candle_time ?? 0;
          return candles.length === 5;
        },
        'the read node to serve 5 candles of a whitelisted series',
        START_BOUND_MS,
      );
      const ws = await WsClient.connect({ port: Number(new URL(readUrl).port) });
      ws.send({ type: 'subscribe', series_id: SERIES });
      // One fake 1m bar per second: a bar closed after the GET above, ingested on the ingest node,
      // reaches the read node's client.
      for (let live = false; !live;) {
        const [m] = await ws.next(1, 30_000);
        live = m.type === 'candle_closed' && m.series_id === SERIES && m.candle.candle_time > newestServed;
      }
      ws.close();

      child.kill('SIGINT');
      expect(await exited).toEqual({ code: 0, signal: null });
      expect(stdout).toContain('stopping the nodes');
      for (const pid of pids) expect(alive(pid), `node pid ${pid} still running after the cluster stopped`).toBe(false);
      expect(existsSync(dir), `${dir} left behind`).toBe(false);
    },
  );
});
if (skip) it.skip(`npm run cluster — skipped, needs PostgreSQL and nats-server: ${skip}`);

describe('npm run cluster: bad arguments', () => {
  it('exits 2 with the usage for a count out of range, without starting anything', async () => {
    const child = spawn(process.execPath, ['--import', 'tsx', SCRIPT, '--ingest', '0'], { stdio: ['ignore', 'pipe', 'pipe'] });
    let stderr = '';
    child.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
    const code = await new Promise<number | null>((resolve) => child.once('exit', resolve));
    expect(code).toBe(2);
    expect(stderr).toContain("npm run cluster: --ingest: expected an integer in 1..16, got '0'");
    expect(stderr).toContain('npm run cluster -- [--ingest N (2)]');
  });
});
