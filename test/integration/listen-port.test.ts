import { afterEach, describe, expect, it } from 'vitest';
import { once } from 'node:events';
import { connect } from 'node:net';
import { candle, http, postClosed, startTestGateway, startTestGatewayOnFixedPort, type TestGateway } from '../support/gateway-harness.js';

const S = 'binance:futures:BTC/USDT:1m';

describe('listening port', () => {
  const gateways: TestGateway[] = [];
  afterEach(async () => {
    // Newest first: a restarted gateway shares its predecessor's directory.
    for (const gw of gateways.splice(0).reverse()) await gw.dispose();
  });

  it('a second gateway on a port in use fails to start instead of sharing it', async () => {
    const first = await startTestGatewayOnFixedPort();
    gateways.push(first);
    // uWS's default (SO_REUSEPORT) would let this one listen too, and the kernel would split
    // clients between two gateways with different databases.
    const second = await startTestGateway({ port: first.port }).then(
      (gw) => {
        gateways.push(gw); // it started: a failure, but it must still be cleaned up
        return null;
      },
      (err: Error) => err,
    );
    expect(second, 'a second gateway started on a port in use').toBeInstanceOf(Error);
    expect(second!.message).toContain(`cannot listen on 127.0.0.1:${first.port}`);
    expect((await http(first.url, 'GET', '/healthz')).status).toBe(200);
  });

  it('a restart can rebind the port while connections the old gateway accepted linger', async () => {
    const a = await startTestGatewayOnFixedPort();
    gateways.push(a);
    // A browser's keep-alive connection: the stop closes it, which leaves it in TIME_WAIT on the
    // gateway's side of the port.
    const socket = connect(a.port, '127.0.0.1');
    await once(socket, 'connect');
    socket.write('GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n');
    expect(String((await once(socket, 'data'))[0])).toMatch(/^HTTP\/1\.1 200/);
    try {
      await a.stop();
      const b = await startTestGateway({ port: a.port }, {}, a.dir);
      gateways.push(b);
      expect(b.port).toBe(a.port);
      expect((await postClosed(b.url, S, candle(60))).status).toBe(200);
    } finally {
      socket.destroy();
    }
  });
});
