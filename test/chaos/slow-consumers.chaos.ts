import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { candle, http, postBatch, postForming, WsClient } from '../support/gateway-harness.js';
import { GatewayProcess } from '../support/gateway-process.js';
import { mib, MIB, processStats } from '../support/process-stats.js';
import { StalledWsClient } from '../support/stalled-ws-client.js';
import { gatewayEnv, probeDir } from './support/chaos-gateway.js';
import { report, sized } from './support/chaos-run.js';

/**
 * Probe 3: slow consumers among normal clients, on the real gateway process. A warm-up phase
 * publishes the same load to the normal clients alone and gives the RSS baseline (heap and
 * buffers grown to their working size); the probe phase adds clients that stop reading. Normal
 * clients must get every closed candle in order, each stalled one is closed with 1008, and the
 * process's RSS over the warm-up peak stays within the buffer bounds plus a stated tolerance.
 */
const NORMAL_CLIENTS = 6;
/** Batches of the warm-up; the probe phase publishes at least as many, until every stalled client is cut. */
const WARM_BATCHES = sized(100, 50);
const MAX_BATCHES = 600;
/** ~160 KB of JSON per batch frame: kernel socket buffers (MBs on loopback) fill quickly. */
const BATCH = 2000;
/**
 * RSS per byte the buffer bounds allow. Sockets closed as slow consumers keep their backlog in the
 * socket library until it is read or their end() timeout passes, and the bound counts it that long
 * (OutboundBudget.holdClosed), so buffered bytes in memory never pass the bound: measured with
 * 20 stalled clients under 8, 32 and 64 MiB global bounds, growth ≈ bound + 17..23 MiB. (Released
 * at the close instead, the cut sockets' backlogs came on top: ≈ 2 × bound + 35..50 MiB.)
 */
const RSS_PER_BUFFERED_BYTE = 1;
/**
 * Allowance for RSS noise between two equal loads (heap growth at GC timing, allocator slack): the
 * warm-up peak alone varied by ~30 MiB between runs, and a CI machine measured ~30 MiB more growth
 * than this one for the same code. Without the global bound, 20 stalled clients grew RSS 156 MiB.
 */
const RSS_TOLERANCE_BYTES = 80 * MIB;

function metric(text: string, name: string): number {
  return Number(new RegExp(`^kline_gateway_${name} (\\S+)$`, 'm').exec(text)?.[1] ?? NaN);
}

describe('probe: slow consumers', () => {
  const dir = probeDir('slow');
  let gw: GatewayProcess | undefined;
  const clients: { close(): void }[] = [];
  afterEach(async () => {
    clients.splice(0).forEach((c) => c.close());
    await gw?.kill('SIGKILL');
  });

  /**
   * Publishes batches of `series` (at least `min`, then until `done()` says so) while sampling the
   * gateway's RSS; checks that every normal client got every closed candle. Returns the RSS peak
   * and the candles published.
   */
  async function publish(series: string, normal: WsClient[], min: number, done: () => Promise<boolean> = async () => true) {
    for (const c of normal) c.send({ type: 'subscribe', series_id: series, since: 0, supports_batch: true });
    let peak = processStats(gw!.pid).rssBytes;
    const sampler = setInterval(() => (peak = Math.max(peak, processStats(gw!.pid).rssBytes)), 50);
    let batches = 0;
    try {
      while (batches < MAX_BATCHES && (batches < min || (batches % 10 === 0 && !(await done())) || batches % 10 !== 0)) {
        const candles = Array.from({ length: BATCH }, (_, i) => candle(60 * (batches * BATCH + i + 1)));
        expect((await postBatch(gw!.url, series, candles, true)).status).toBe(200);
        await postForming(gw!.url, series, candle(60 * (batches * BATCH + BATCH + 1), 9));
        batches++;
      }
      // Every normal client gets every closed candle, in order.
      const want = batches * BATCH;
      for (const c of normal) {
        const got: number[] = [];
        while (got.length < want) {
          const [m] = await c.next(1, 30_000);
          if (m.series_id !== series) continue;
          if (m.type === 'candles_batch') got.push(...m.candles.map((x: { candle_time: number }) => x.candle_time));
          else if (m.type === 'candle_closed') got.push(m.candle.candle_time);
        }
        expect(got).toEqual(Array.from({ length: want }, (_, i) => 60 * (i + 1)));
      }
    } finally {
      clearInterval(sampler);
    }
    return { peak, candles: batches * BATCH };
  }

  async function run(name: string, stalled: number, settings: { perSocket: number; total: number }): Promise<void> {
    gw = await GatewayProcess.start(
      gatewayEnv(join(dir, `${name}.db`), {
        TRADE_CANVAS_MARKET_WS_MAX_BUFFERED_BYTES: String(settings.perSocket),
        TRADE_CANVAS_MARKET_WS_MAX_TOTAL_BUFFERED_BYTES: String(settings.total),
        TRADE_CANVAS_LOG_LEVEL: 'info',
      }),
    );
    const normal = await Promise.all(Array.from({ length: NORMAL_CLIENTS }, () => WsClient.connect(gw!)));
    clients.push(...normal);
    const warm = await publish('binance:spot:WARM/USDT:1m', normal, WARM_BATCHES);

    const series = 'binance:spot:SLOW/USDT:1m';
    const slow = await Promise.all(Array.from({ length: stalled }, () => StalledWsClient.connect(gw!.port)));
    clients.push(...slow.map((s) => ({ close: () => s.destroy() })));
    for (const s of slow) {
      s.sendText(JSON.stringify({ type: 'subscribe', series_id: series, since: 0, supports_batch: true }));
      s.stall();
    }
    // Every 1008 close counts here; ws_global_buffer_closes_total is the part the global bound made.
    const cuts = async () => metric((await http(gw!.url, 'GET', '/metrics')).text, 'ws_slow_consumer_closes_total');
    const probe = await publish(series, normal, WARM_BATCHES, async () => (await cuts()) >= stalled);
    const codes = await Promise.all(slow.map((s) => s.closeCode(30_000).catch(() => -1)));
    const metrics = (await http(gw.url, 'GET', '/metrics')).text;
    const bound = Math.min(settings.total, stalled * settings.perSocket);
    const growth = probe.peak - warm.peak;
    const allowed = RSS_PER_BUFFERED_BYTE * bound + RSS_TOLERANCE_BYTES;
    report('slow-consumers', name, {
      normal_clients: NORMAL_CLIENTS,
      stalled_clients: stalled,
      candles_warmup: warm.candles,
      candles_probe: probe.candles,
      normal_clients_complete: NORMAL_CLIENTS,
      closed_1008: codes.filter((c) => c === 1008).length,
      closes_1008_metric: metric(metrics, 'ws_slow_consumer_closes_total'),
      of_which_global_bound: metric(metrics, 'ws_global_buffer_closes_total'),
      rss_warmup_peak_mib: mib(warm.peak),
      rss_probe_peak_mib: mib(probe.peak),
      rss_growth_mib: mib(growth),
      buffer_bound_mib: mib(bound),
      allowed_growth_mib: mib(allowed),
    });
    expect(codes).toEqual(slow.map(() => 1008));
    expect(growth).toBeLessThanOrEqual(allowed);
  }

  it('one stalled client among normal ones (default bounds): closed with 1008, the others get everything', async () => {
    await run('one stalled, defaults', 1, { perSocket: 4 * MIB, total: 256 * MIB });
  });

  it('20 stalled clients at once under a 32 MiB process-wide bound: all closed with 1008, RSS bounded', async () => {
    await run('20 stalled, 32 MiB global bound', 20, { perSocket: 4 * MIB, total: 32 * MIB });
  });
});
