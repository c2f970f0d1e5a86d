import { connect } from 'node:net';
import { join } from 'node:path';
import { WebSocket } from 'undici';
import { afterAll, describe, expect, it } from 'vitest';
import { candle, http, postBatch } from '../support/gateway-harness.js';
import { GatewayProcess } from '../support/gateway-process.js';
import { mib, MIB, processStats, type ProcessStats } from '../support/process-stats.js';
import { InspectorSession } from '../support/inspector-session.js';
import { StalledWsClient } from '../support/stalled-ws-client.js';
import { sleep } from '../support/wait.js';
import { gatewayEnv, probeDir } from './support/chaos-gateway.js';
import { report, sized } from './support/chaos-run.js';

/**
 * Probe 4: connection churn on the real gateway process. Thousands of connection cycles, four
 * kinds in turn: a WebSocket that subscribes, gets its catch-up and closes cleanly; one that
 * subscribes and vanishes (socket destroyed, no close frame); an HTTP read on its own connection;
 * an HTTP request cut off mid-headers. After a warm-up, the process's open fds must come back to
 * where they were and its memory stay flat within a stated tolerance. Memory is read after a full
 * garbage collection of the main thread (through the inspector): without it, RSS followed where
 * V8's collector happened to be, rising 20–31 MiB over 4,000 cycles against a 32 MiB allowance,
 * then falling back; after it, RSS and the live heap are flat to a fraction of a MiB.
 */
const WARMUP = sized(2000, 500);
const CYCLES = sized(40_000, 4000);
const PARALLEL = 16;
const FD_TOLERANCE = 4;
/** Measured flat within 0.3 MiB after a collection; 8 MiB is 2 KiB per cycle in the smoke form, 0.2 KiB in the full one. */
const RSS_TOLERANCE_BYTES = 8 * MIB;
/**
 * The main thread's live heap after a collection (measured within ±0.3 MiB): a retained session or
 * socket record would show (a 0.5 KiB array kept per WebSocket cycle grew it 1.2 MiB in the smoke form).
 */
const HEAP_TOLERANCE_BYTES = 1 * MIB;
const S = 'binance:spot:CHURN/USDT:1m';

type Kind = 'ws-clean' | 'ws-vanish' | 'http' | 'http-cut';
const KINDS: Kind[] = ['ws-clean', 'ws-vanish', 'http', 'http-cut'];

describe('probe: connection churn', () => {
  const dir = probeDir('churn');
  let gw: GatewayProcess;
  let inspector: InspectorSession | undefined;
  afterAll(async () => {
    inspector?.close();
    await gw?.kill('SIGKILL');
  });

  async function wsClean(): Promise<void> {
    const ws = new WebSocket(`ws://127.0.0.1:${gw.port}/ws/market`);
    await new Promise<void>((resolve, reject) => {
      ws.addEventListener('open', () => ws.send(JSON.stringify({ type: 'subscribe', series_id: S, since: 0, supports_batch: true })));
      ws.addEventListener('message', () => ws.close(), { once: true });
      ws.addEventListener('close', () => resolve());
      ws.addEventListener('error', () => reject(new Error('websocket failed')));
    });
  }

  async function wsVanish(): Promise<void> {
    const client = await StalledWsClient.connect(gw.port);
    client.sendText(JSON.stringify({ type: 'subscribe', series_id: S, since: 0, supports_batch: true }));
    client.destroy();
  }

  /** One request on its own connection (`Connection: close`); `cut` stops mid-headers and drops it. */
  function rawHttp(cut: boolean): Promise<void> {
    return new Promise((resolve, reject) => {
      const socket = connect({ host: '127.0.0.1', port: gw.port });
      const request = `GET /api/market/candles?series_id=${encodeURIComponent(S)}&limit=50 HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n`;
      let answer = '';
      socket.once('connect', () => {
        if (cut) {
          socket.write(request.slice(0, 40));
          socket.destroy();
          resolve();
        } else socket.write(request);
      });
      socket.on('data', (chunk) => (answer += chunk.toString()));
      socket.once('close', () => (cut || answer.startsWith('HTTP/1.1 200') ? resolve() : reject(new Error(`bad answer: ${answer.slice(0, 80)}`))));
      socket.once('error', (err) => (cut ? resolve() : reject(err)));
    });
  }

  async function churn(cycles: number, counts: Record<Kind, number>): Promise<void> {
    let next = 0;
    await Promise.all(
      Array.from({ length: PARALLEL }, async () => {
        while (next < cycles) {
          const kind = KINDS[next++ % KINDS.length]!;
          if (kind === 'ws-clean') await wsClean();
          else if (kind === 'ws-vanish') await wsVanish();
          else await rawHttp(kind === 'http-cut');
          counts[kind]++;
        }
      }),
    );
  }

  /** Memory after a full collection of the main thread's heap: what is retained. */
  async function collected(): Promise<{ rssBytes: number; heapUsed: number }> {
    await inspector!.collectGarbage();
    const { heapUsed } = await inspector!.memoryUsage();
    return { rssBytes: processStats(gw.pid).rssBytes, heapUsed };
  }

  /** Stats once the process has let go of closed connections (two equal fd counts 200 ms apart), after a collection. */
  async function settled(): Promise<ProcessStats & { heapUsed: number }> {
    let last = processStats(gw.pid);
    for (let i = 0; i < 50; i++) {
      await sleep(200);
      const now = processStats(gw.pid);
      if (now.fds === last.fds) break;
      last = now;
    }
    return { ...(await collected()), fds: processStats(gw.pid).fds };
  }

  it(`${CYCLES} connection cycles: open fds back to the baseline, RSS flat`, async () => {
    // The inspector listens on a free loopback port; the probe only asks it for collections.
    gw = await GatewayProcess.start(gatewayEnv(join(dir, 'market.db'), { TRADE_CANVAS_LOG_LEVEL: 'info' }), 20_000, undefined, ['--inspect=127.0.0.1:0']);
    inspector = await InspectorSession.connect(gw.logs);
    expect(
      (
        await postBatch(
          gw.url,
          S,
          Array.from({ length: 200 }, (_, i) => candle((i + 1) * 60)),
        )
      ).status,
    ).toBe(200);
    const counts: Record<Kind, number> = { 'ws-clean': 0, 'ws-vanish': 0, http: 0, 'http-cut': 0 };
    await churn(WARMUP, counts);
    const before = await settled();
    const checkpoints: number[] = [];
    for (let quarter = 0; quarter < 4; quarter++) {
      await churn(CYCLES / 4, counts);
      checkpoints.push((await collected()).rssBytes);
    }
    const after = await settled();
    const health = await http(gw.url, 'GET', '/healthz');
    const metrics = (await http(gw.url, 'GET', '/metrics')).text;
    const wsClients = Number(/^kline_gateway_ws_clients (\d+)$/m.exec(metrics)?.[1]);
    report('connection-churn', `${CYCLES} cycles`, {
      cycles: CYCLES,
      warmup_cycles: WARMUP,
      ws_clean: counts['ws-clean'],
      ws_vanished: counts['ws-vanish'],
      http: counts.http,
      http_cut: counts['http-cut'],
      fds_before: before.fds,
      fds_after: after.fds,
      rss_before_mib: mib(before.rssBytes),
      rss_quarters_mib: checkpoints.map(mib).join('/'),
      rss_after_mib: mib(after.rssBytes),
      rss_growth_mib: mib(after.rssBytes - before.rssBytes),
      heap_used_before_mib: mib(before.heapUsed),
      heap_used_after_mib: mib(after.heapUsed),
      ws_clients_after: wsClients,
    });
    expect(health.status).toBe(200);
    expect(wsClients).toBe(0);
    expect(Math.abs(after.fds - before.fds)).toBeLessThanOrEqual(FD_TOLERANCE);
    expect(after.rssBytes - before.rssBytes).toBeLessThanOrEqual(RSS_TOLERANCE_BYTES);
    expect(after.heapUsed - before.heapUsed).toBeLessThanOrEqual(HEAP_TOLERANCE_BYTES);
  });
});
