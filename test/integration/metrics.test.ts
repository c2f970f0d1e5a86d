import { existsSync } from 'node:fs';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { describe, expect, it } from 'vitest';
import { candle, gatewayPerTest, http, postBatch, postClosed } from '../support/gateway-harness.js';
import { checkHistogram, parsePrometheusText, sampleOf } from '../support/prometheus-parse.js';
import { waitForAsync } from '../support/wait.js';

const S = 'binance:futures:BTC/USDT:1m';
const P = 'kline_gateway_';

async function scrape(url: string) {
  const res = await http(url, 'GET', '/metrics');
  expect(res.status).toBe(200);
  expect(res.headers.get('content-type')).toBe('text/plain; version=0.0.4; charset=utf-8');
  return parsePrometheusText(res.text); // throws on any malformed line or a family declared twice
}

/** Node's gc(), without starting the test process with --expose-gc. */
function forceGc(): void {
  setFlagsFromString('--expose-gc');
  (runInNewContext('gc') as () => void)();
}

/** The main thread busy for `ms`: the event-loop delay monitor sees one delay that long. */
function blockEventLoop(ms: number): void {
  const end = performance.now() + ms;
  while (performance.now() < end);
}

describe('/metrics', () => {
  const t = gatewayPerTest();

  it("has Node's process and runtime metrics, event-loop lag in seconds, under the gateway's prefix", async () => {
    forceGc();
    // The GC observer hears of the collection asynchronously.
    const gcSeen = (m: Awaited<ReturnType<typeof scrape>>) =>
      m.get(`${P}nodejs_gc_duration_seconds`)?.samples.some((s) => s.name.endsWith('_count') && s.value > 0);
    await waitForAsync(async () => gcSeen(await scrape(t.gw.url)) === true, 'a GC in nodejs_gc_duration_seconds');
    const metrics = await scrape(t.gw.url);
    for (const name of [
      'process_cpu_seconds_total',
      'process_resident_memory_bytes',
      'process_open_fds',
      'process_start_time_seconds',
      'nodejs_heap_size_used_bytes',
      'nodejs_eventloop_lag_seconds',
      'nodejs_eventloop_lag_p99_seconds',
      'nodejs_gc_duration_seconds',
      'nodejs_version_info',
      // the gateway's own, names kept
      'process_heap_used_bytes',
      'uptime_seconds',
      'http_responses_total',
      'writer_drain_rows',
      'writer_checkpoints_total',
      'writer_checkpoint_seconds_total',
      'writer_checkpoint_failures_total',
    ])
      expect(metrics.has(P + name), name).toBe(true);
    expect(metrics.get(`${P}process_cpu_seconds_total`)!.type).toBe('counter');
    if (existsSync('/proc/thread-self/schedstat')) {
      // Per-thread CPU (Linux): the writer has opened and migrated the store, the main thread served this.
      for (const name of ['writer_thread_cpu_seconds_total', 'main_thread_cpu_seconds_total']) {
        expect(metrics.get(P + name)?.type, name).toBe('counter');
        expect(sampleOf(metrics, P + name, P + name), name).toBeGreaterThan(0);
      }
    }
    expect(sampleOf(metrics, `${P}process_resident_memory_bytes`, `${P}process_resident_memory_bytes`)).toBeGreaterThan(1e6);
    expect(metrics.has(`${P}event_loop_delay_p99_ms`)).toBe(false); // renamed (docs/operations.md)
    expect(metrics.get(`${P}nodejs_gc_duration_seconds`)!.type).toBe('histogram');
    for (const name of metrics.keys()) expect(name.startsWith(P), name).toBe(true);
  });

  it('reports event-loop delay in seconds, over the time since the previous scrape', async () => {
    await scrape(t.gw.url); // starts a fresh window
    // Node's delay monitor records the time between two ticks of its 10 ms timer, and a reset
    // forgets the previous tick: let it tick once (a later timer fires after it) before stalling.
    await new Promise((resolve) => setTimeout(resolve, 50));
    blockEventLoop(600);
    const blocked = sampleOf(await scrape(t.gw.url), `${P}nodejs_eventloop_lag_max_seconds`, `${P}nodejs_eventloop_lag_max_seconds`);
    const after = sampleOf(await scrape(t.gw.url), `${P}nodejs_eventloop_lag_max_seconds`, `${P}nodejs_eventloop_lag_max_seconds`);
    expect(blocked).toBeGreaterThanOrEqual(0.5);
    expect(blocked).toBeLessThan(60); // seconds, not ms
    expect(after).toBeLessThan(0.5); // the 600 ms stall was in the previous window only
  });

  it('has a request duration histogram per route', async () => {
    for (let i = 0; i < 3; i++) expect((await postClosed(t.gw.url, S, candle(60 * (i + 1)))).status).toBe(200);
    expect((await http(t.gw.url, 'GET', `/api/market/candles?series_id=${encodeURIComponent(S)}`)).status).toBe(200);
    await scrape(t.gw.url);
    const metrics = await scrape(t.gw.url);
    const family = `${P}http_request_duration_seconds`;
    expect(checkHistogram(metrics, family, { route: '/api/market/ingest/candle_closed' }).count).toBe(3);
    expect(checkHistogram(metrics, family, { route: '/api/market/candles' }).count).toBe(1);
    const scrapes = checkHistogram(metrics, family, { route: '/metrics' });
    expect(scrapes.count).toBe(1); // the scrape being answered is not counted yet
    expect(scrapes.sum).toBeGreaterThan(0);
  });

  it('has a commit → publish histogram: one observation per commit that publishes, none for silent batches', async () => {
    const family = `${P}commit_to_publish_seconds`;
    const before = checkHistogram(await scrape(t.gw.url), family).count;
    expect((await postClosed(t.gw.url, S, candle(60))).status).toBe(200);
    const client = await t.connect();
    client.send({ type: 'subscribe', series_id: S, since: 0 });
    expect((await client.next())[0]).toMatchObject({ type: 'candle_closed' }); // catch-up: the subscription is live
    for (let i = 1; i < 4; i++) expect((await postClosed(t.gw.url, S, candle(60 * (i + 1)))).status).toBe(200);
    expect((await client.next(3)).map((m) => m.candle.candle_time)).toEqual([120, 180, 240]);
    expect((await postBatch(t.gw.url, S, [candle(600), candle(660)], false)).status).toBe(200);
    // The route answers once the batch is committed (and its committed notice handled).
    expect((await http(t.gw.url, 'GET', `/api/market/candles?series_id=${encodeURIComponent(S)}&since=540`)).body.candles).toHaveLength(2);
    const after = checkHistogram(await scrape(t.gw.url), family);
    expect(after.count - before).toBe(4);
    expect(after.sum).toBeGreaterThan(0);
    expect(after.sum / after.count).toBeLessThan(60); // seconds
  });
});
