/**
 * Baseline for the fan-out benchmark: uWebSockets.js alone. Clients subscribe to a series topic;
 * the same synthetic feed is published with `app.publish` (native fan-out, one JSON.stringify per
 * message), with the same message shapes and sizes as the gateway's. Benchmark code, not product:
 * it imports uWS directly on purpose.
 *   POST /__bench/feed {series[], formingPerSecond, closedPerSecond, durationMs} → feed stats
 */
import { createRequire } from 'node:module';
import type * as Uws from 'uWebSockets.js';
import { runFeed } from './feed.js';

const uws = createRequire(import.meta.url)('uWebSockets.js') as typeof Uws;
const MAX_BACKPRESSURE = Number(process.env.BENCH_MAX_BACKPRESSURE ?? 4 * 1024 * 1024);

const app = uws.App();
app.ws<object>('/ws/market', {
  maxPayloadLength: 64 * 1024,
  maxBackpressure: MAX_BACKPRESSURE,
  idleTimeout: 120,
  compression: uws.DISABLED,
  message: (ws, message) => {
    const msg = JSON.parse(Buffer.from(message).toString()) as { type: string; series_id: string };
    if (msg.type === 'subscribe') ws.subscribe(msg.series_id);
  },
});
app.post('/__bench/feed', (res) => {
  let aborted = false;
  res.onAborted(() => (aborted = true));
  const chunks: Buffer[] = [];
  res.onData((chunk, last) => {
    chunks.push(Buffer.from(chunk.slice(0)));
    if (!last) return;
    const options = JSON.parse(Buffer.concat(chunks).toString());
    const series: string[] = options.series;
    void runFeed(options, {
      forming: (s, candle) => {
        app.publish(series[s]!, JSON.stringify({ type: 'candle_forming', series_id: series[s], candle }));
      },
      closed: (batch) => {
        for (const { seriesIndex, candle } of batch)
          app.publish(series[seriesIndex]!, JSON.stringify({ type: 'candle_closed', series_id: series[seriesIndex], candle }));
      },
    }).then((stats) => {
      if (!aborted) res.cork(() => res.end(JSON.stringify(stats)));
    });
  });
});
app.listen('127.0.0.1', 0, (token) => {
  if (!token) throw new Error('listen failed');
  const port = uws.us_socket_local_port(token as unknown as Uws.us_socket);
  console.log(JSON.stringify({ level: 'info', msg: 'listening', url: `http://127.0.0.1:${port}` }));
});
