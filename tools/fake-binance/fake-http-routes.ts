import type { IncomingMessage, ServerResponse } from 'node:http';
import { handleControl } from './fake-control.js';
import type { FakeBinance } from './fake-binance.js';
import { FakeMarketData } from './fake-market-data.js';
import type { FakeMarket, RestReply } from './fake-rest.js';

/** The REST klines path of each market (Binance's: spot `/api/v3`, USD-M futures `/fapi/v1`). */
function klinesMarket(pathname: string): FakeMarket | undefined {
  if (pathname === '/api/v3/klines') return 'spot';
  if (pathname === '/fapi/v1/klines') return 'futures';
  return undefined;
}

/**
 * Every plain HTTP request of the fake: `/__control/...` (fake-control.ts), tickers and
 * exchangeInfo (fake-market-data.ts), klines (fake-rest.ts), else Binance's 404 body. Each answer
 * waits out its endpoint's configured latency, and its data is taken when it goes out, as a slow
 * server would.
 */
export function answerHttp(fake: FakeBinance, req: IncomingMessage, res: ServerResponse): void {
  const url = new URL(req.url ?? '/', 'http://fake');
  if (url.pathname.startsWith('/__control/')) return handleControl(fake, url, res);
  const send = (reply: RestReply) => res.writeHead(reply.status, reply.headers).end(reply.body);
  const data = FakeMarketData.route(url.pathname);
  if (data && req.method === 'GET') {
    const answer = () => send(fake.marketData.handle(data.market, data.endpoint, url.searchParams));
    return void (fake.marketData.latencyMs > 0 ? setTimeout(answer, fake.marketData.latencyMs) : answer());
  }
  const market = klinesMarket(url.pathname);
  if (req.method !== 'GET' || market === undefined) {
    res.writeHead(404, { 'content-type': 'application/json' }).end('{"code":-1,"msg":"not found"}');
    return;
  }
  fake.rest.requestArrived();
  const answer = () => {
    fake.rest.requestAnswered();
    send(fake.rest.handle(market, url.searchParams));
  };
  if (fake.rest.latencyMs > 0) setTimeout(answer, fake.rest.latencyMs);
  else answer();
}
