/**
 * Runs one ceiling measurement (ceiling-client.ts) against the replay exchange: a bare client +
 * parser process subscribes the same streams over the same number of connections as the gateway
 * would, the exchange sends the same pre-encoded frames as fast as it reads them, and the client
 * reports when the last one is parsed. The exchange must have no other client meanwhile.
 */
import { fork, type ChildProcess } from 'node:child_process';
import { MARKET_LIMITS, combinedStreamUrl } from '../../src/exchange/binance/binance-endpoints.js';
import type { ClientKind } from './ceiling-client.js';
import { streamOf } from './kline-frames.js';
import { processUsage } from './process-usage.js';

export interface CeilingResult {
  readonly client: ClientKind;
  readonly frames: number;
  readonly seconds: number;
  readonly framesPerSecond: number;
  /** Event-loop busy µs per frame of the client thread (ELU × wall / frames). */
  readonly busyUsPerFrame: number;
  /** CPU µs per frame (user + system, /proc) of the client process and of the exchange, blast to last frame parsed. */
  readonly clientCpuUsPerFrame: number;
  readonly exchangeCpuUsPerFrame: number;
}

/** One IPC request and its reply. */
export function ask<T>(child: ChildProcess, msg: object): Promise<T> {
  return new Promise((resolve) => {
    child.once('message', (reply) => resolve(reply as T));
    child.send(msg);
  });
}

export async function waitUntil(what: string, timeoutMs: number, check: () => Promise<boolean>): Promise<void> {
  const started = Date.now();
  while (!(await check())) {
    if (Date.now() - started > timeoutMs) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

/** The combined-stream URLs the gateway would open for `series` futures series (≤ 200 streams each). */
export function ceilingUrls(wsBase: string, series: number): string[] {
  const per = MARKET_LIMITS.futures.maxStreamsPerConnection;
  const urls: string[] = [];
  for (let first = 0; first < series; first += per) {
    urls.push(
      combinedStreamUrl(
        wsBase,
        Array.from({ length: Math.min(per, series - first) }, (_, k) => streamOf(first + k)),
      ),
    );
  }
  return urls;
}

/**
 * `warmBars` > 0: the client first reads an untimed replay of that many bars, so the measured one
 * runs compiled code (bench:ingest --warm, which warms the gateway the same way).
 */
export async function measureCeiling(
  exchange: ChildProcess,
  wsBase: string,
  series: number,
  bars: number,
  client: ClientKind,
  warmBars = 0,
): Promise<CeilingResult> {
  const child = fork(new URL('./ceiling-client.ts', import.meta.url).pathname, [], { execArgv: ['--import', 'tsx'] });
  try {
    await ask(child, { cmd: 'connect', urls: ceilingUrls(wsBase, series), client });
    await waitUntil('the ceiling client subscribed', 30_000, async () => (await ask<{ streams: number }>(exchange, { cmd: 'subscribed' })).streams >= series);
    if (warmBars > 0) {
      const warm = await ask<{ frames: number }>(exchange, { cmd: 'prepare', series, bars: warmBars });
      const warmed = ask(child, { cmd: 'expect', frames: warm.frames });
      await ask(exchange, { cmd: 'blast' });
      await warmed;
    }
    const { frames } = await ask<{ frames: number }>(exchange, { cmd: 'prepare', series, bars, from: warmBars });
    const done = ask<{ frames: number; lastAtMs: number; busyMs: number; skipped: number }>(child, { cmd: 'expect', frames });
    const cpuBefore = { client: processUsage(child.pid!).cpuSeconds, exchange: processUsage(exchange.pid!).cpuSeconds };
    const blast = await ask<{ startedAtMs: number }>(exchange, { cmd: 'blast' });
    const result = await done;
    const usPerFrame = (pid: number, before: number) => ((processUsage(pid).cpuSeconds - before) * 1e6) / frames;
    const clientCpuUsPerFrame = usPerFrame(child.pid!, cpuBefore.client);
    const exchangeCpuUsPerFrame = usPerFrame(exchange.pid!, cpuBefore.exchange);
    if (result.skipped > 0) throw new Error(`ceiling client (${client}) skipped ${result.skipped} frames`);
    const seconds = (result.lastAtMs - blast.startedAtMs) / 1000;
    return {
      client,
      frames,
      seconds,
      framesPerSecond: frames / seconds,
      busyUsPerFrame: (result.busyMs * 1000) / frames,
      clientCpuUsPerFrame,
      exchangeCpuUsPerFrame,
    };
  } finally {
    child.send({ cmd: 'close' });
    await new Promise((r) => child.once('exit', r));
    await waitUntil(
      'the ceiling client gone from the exchange',
      10_000,
      async () => (await ask<{ streams: number }>(exchange, { cmd: 'subscribed' })).streams === 0,
    );
  }
}
