/**
 * Runs the fake Binance (tools/fake-binance/) as a standalone server, for manual runs of the gateway
 * and for load tests in another process:
 *
 *   npm run fake-binance -- --port 9400 --bar-ms 1000 --futures btcusdt@kline_1m,ethusdt@kline_1m
 *   npm run fake-binance -- --history-days 400 --spot-symbols BTCUSDT,ETHUSDT
 *   npm run fake-binance -- --replay ../shared/fixtures/binance/cryptofeed-sample_data/BINANCE_FUTURES.ws.1.0 --replay-speed 10
 *
 * Point the gateway at it with TRADE_CANVAS_BINANCE_SPOT_WS_URL=ws://127.0.0.1:PORT,
 * TRADE_CANVAS_BINANCE_FUTURES_WS_URL=ws://127.0.0.1:PORT/market and the two REST URLs
 * http://127.0.0.1:PORT. Faults: POST http://127.0.0.1:PORT/__control/<drop|silence|shutdown|...>.
 */
import { parseArgs } from 'node:util';
import { FakeBinance, type FakeBinanceOptions } from '../tools/fake-binance/fake-binance.js';

const { values } = parseArgs({
  options: {
    port: { type: 'string', default: '0' },
    host: { type: 'string', default: '127.0.0.1' },
    speed: { type: 'string' },
    'bar-ms': { type: 'string' },
    'tick-ms': { type: 'string' },
    spot: { type: 'string' },
    futures: { type: 'string' },
    'no-auto-create': { type: 'boolean', default: false },
    backfill: { type: 'string' },
    seed: { type: 'string' },
    'history-days': { type: 'string' },
    'trades-per-minute': { type: 'string' },
    'spot-symbols': { type: 'string' },
    'futures-symbols': { type: 'string' },
    'ping-ms': { type: 'string' },
    'enforce-inbound-limit': { type: 'boolean', default: false },
    replay: { type: 'string' },
    'replay-speed': { type: 'string' },
    'replay-market': { type: 'string' },
    paused: { type: 'boolean', default: false },
    flood: { type: 'string' },
    help: { type: 'boolean', default: false },
  },
});

if (values.help) {
  console.log(`fake-binance options:
  --port N --host H           listen address (default 127.0.0.1, ephemeral port)
  --speed X | --bar-ms N      virtual ms per real ms, or real ms per 1m bar
  --tick-ms N                 real ms between forming updates of every stream (default 250)
  --spot a,b --futures c,d    streams generated from the start (others appear when subscribed)
  --no-auto-create            only the listed streams exist
  --history-days N            REST history before 00:00 UTC of the start day, any symbol and interval (default 30)
  --spot-symbols A,B          the only symbols spot lists (others: -1121); --futures-symbols likewise
  --trades-per-minute K       trades in a 1m bar (default: one per forming update)
  --backfill N --seed N       closed bars each new stream lists in its history; random seed (one price path per symbol and market)
  --ping-ms N                 server ping interval (default off)
  --enforce-inbound-limit     close connections over 5 (spot) / 10 (futures) msgs/s, as Binance does
  --replay FILE [--replay-speed X] [--replay-market spot|futures]   replay a recording instead
  --paused                    start with the clock stopped: POST /__control/advance?ms=N moves it, /__control/resume runs it
  --flood STEP_MS             send rounds as fast as clients read (virtual STEP_MS per round)`);
  process.exit(0);
}

const num = (v: string | undefined): number | undefined => (v === undefined ? undefined : Number(v));
const list = (v: string | undefined): string[] =>
  v
    ? v
        .split(',')
        .map((s) => s.trim())
        .filter(Boolean)
    : [];
const replayMarket = values['replay-market'] === 'spot' ? 'spot' : 'futures';

const options: FakeBinanceOptions = {
  host: values.host,
  port: Number(values.port),
  speed: num(values.speed),
  barMs: num(values['bar-ms']),
  tickMs: num(values['tick-ms']),
  streams: { spot: list(values.spot), futures: list(values.futures) },
  autoCreate: !values['no-auto-create'],
  historyDays: num(values['history-days']),
  symbols: {
    spot: values['spot-symbols'] ? list(values['spot-symbols']) : undefined,
    futures: values['futures-symbols'] ? list(values['futures-symbols']) : undefined,
  },
  generator: { backfillBars: num(values.backfill), seed: num(values.seed), tradesPerMinute: num(values['trades-per-minute']) },
  pingIntervalMs: num(values['ping-ms']),
  enforceInboundLimit: values['enforce-inbound-limit'],
  replay: values.replay ? { file: values.replay, speed: num(values['replay-speed']), market: replayMarket } : undefined,
  paused: values.paused,
};

const fake = await FakeBinance.start(options);
if (values.flood !== undefined) fake.startFlood(Number(values.flood));
console.log(
  JSON.stringify({
    msg: 'fake binance listening',
    spotWsUrl: fake.wsUrl('spot'),
    futuresWsUrl: fake.wsUrl('futures'),
    restUrl: fake.restUrl(),
    control: `${fake.restUrl()}/__control/stats`,
  }),
);

for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.once(signal, () => {
    void fake.close().then(() => process.exit(0));
  });
}
