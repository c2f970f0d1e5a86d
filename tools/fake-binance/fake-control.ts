import type { ServerResponse } from 'node:http';
import type { FakeBinance } from './fake-binance.js';
import type { FakeMarket } from './fake-rest.js';

/**
 * HTTP control API of the fake, for tests in other processes and for poking it by hand
 * (`curl -X POST 'http://127.0.0.1:PORT/__control/silence?ms=5000'`). Any method works; every answer
 * is JSON. Routes:
 *   drop                                  cut every WS connection (no close frame)
 *   silence?ms=N                          current connections receive nothing for N ms
 *   shutdown?closeAfterMs=N               send `serverShutdown`, close N ms later (-1 = never)
 *   rest-fail?count=K&status=429&retryAfter=S   answer the next K REST calls with status + Retry-After
 *   rest-hole?market=futures&stream=s&from=MS&to=MS   REST leaves out bars opening in that range
 *   rest-hole-clear                       end every REST hole
 *   rest-latency?ms=N                     hold every REST answer back N ms (a slow exchange)
 *   market-fail?count=K&status=500&retryAfter=S[&endpoint=ticker24h|exchangeInfo]
 *                                         answer the next K ticker/exchangeInfo calls with status
 *   market-latency?ms=N                   hold every ticker/exchangeInfo answer back N ms
 *   pause / resume                        freeze / resume virtual time and generation
 *   advance?ms=N[&stepMs=M]               paused: move virtual time on by N ms (an update every M ms)
 *   flood?stepMs=250 / flood-stop         frames as fast as clients read / back to the timer
 *   stats                                 connections, inbound rates, violations, REST calls (and the most in flight at once), now
 *   history?market=futures&stream=s       closed bars the fake produced for a stream
 */
export function handleControl(fake: FakeBinance, url: URL, res: ServerResponse): void {
  const q = url.searchParams;
  const num = (name: string, fallback: number): number => {
    const v = q.get(name);
    return v === null || v === '' || !Number.isFinite(Number(v)) ? fallback : Number(v);
  };
  const route = url.pathname.slice('/__control/'.length);
  let body: unknown;
  switch (route) {
    case 'drop':
      body = { dropped: fake.dropAll() };
      break;
    case 'silence':
      body = { silenced: fake.silence(num('ms', 5000)) };
      break;
    case 'shutdown':
      body = { notified: fake.serverShutdown(num('closeAfterMs', 1000)) };
      break;
    case 'rest-fail':
      fake.rest.failNext(num('count', 1), num('status', 429), num('retryAfter', 1));
      body = { ok: true };
      break;
    case 'rest-hole':
      fake.rest.addHole(q.get('market') === 'spot' ? 'spot' : 'futures', q.get('stream') ?? '', num('from', 0), num('to', 0));
      body = { ok: true };
      break;
    case 'rest-latency':
      fake.rest.latencyMs = num('ms', 0);
      body = { ok: true };
      break;
    case 'market-fail': {
      const endpoint = q.get('endpoint');
      fake.marketData.failNext(
        num('count', 1),
        num('status', 500),
        num('retryAfter', 1),
        endpoint === 'ticker24h' || endpoint === 'exchangeInfo' ? endpoint : undefined,
      );
      body = { ok: true };
      break;
    }
    case 'market-latency':
      fake.marketData.latencyMs = num('ms', 0);
      body = { ok: true };
      break;
    case 'rest-hole-clear':
      fake.rest.clearHoles();
      body = { ok: true };
      break;
    case 'pause':
      fake.pause();
      body = { ok: true, now: fake.now() };
      break;
    case 'resume':
      fake.resume();
      body = { ok: true, now: fake.now() };
      break;
    case 'advance':
      try {
        body = { ok: true, now: fake.advance(num('ms', 0), q.has('stepMs') ? num('stepMs', 0) || undefined : undefined) };
      } catch (err) {
        res.writeHead(409, { 'content-type': 'application/json' }).end(JSON.stringify({ error: (err as Error).message }));
        return;
      }
      break;
    case 'flood':
      fake.startFlood(num('stepMs', 250));
      body = { ok: true };
      break;
    case 'flood-stop':
      fake.stopFlood();
      body = { ok: true };
      break;
    case 'stats':
      body = {
        now: fake.now(),
        connections: fake.connectionStats(),
        rest: {
          calls: fake.rest.log.length,
          statuses: countBy(fake.rest.log.map((e) => String(e.status))),
          inFlight: fake.rest.inFlight,
          peakInFlight: fake.rest.peakInFlight,
        },
        marketData: countBy(fake.marketData.log.map((e) => `${e.market} ${e.endpoint} ${e.status}`)),
        streams: { spot: fake.generators.spot.streamNames(), futures: fake.generators.futures.streamNames() },
      };
      break;
    case 'history': {
      const market = (q.get('market') === 'spot' ? 'spot' : 'futures') satisfies FakeMarket;
      body = fake.generators[market].history(q.get('stream') ?? '');
      break;
    }
    default:
      res.writeHead(404, { 'content-type': 'application/json' }).end(JSON.stringify({ error: `unknown control route: ${route}` }));
      return;
  }
  res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(body));
}

function countBy(values: string[]): Record<string, number> {
  const out: Record<string, number> = {};
  for (const v of values) out[v] = (out[v] ?? 0) + 1;
  return out;
}
