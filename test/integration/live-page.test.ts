import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { http, startTestGateway, type TestGateway } from '../support/gateway-harness.js';

describe('GET /live and its assets', () => {
  let gw: TestGateway;
  beforeAll(async () => {
    gw = await startTestGateway();
  });
  afterAll(async () => {
    await gw.dispose();
  });

  it('serves the page as HTML that must be revalidated, and hashed assets as immutable', async () => {
    const page = await http(gw.url, 'GET', '/live');
    expect(page.status).toBe(200);
    expect(page.headers.get('content-type')).toBe('text/html; charset=utf-8');
    expect(page.headers.get('cache-control')).toBe('no-cache');
    const script = /src="(\/live\/assets\/[^"]+\.js)"/.exec(page.text)![1]!;
    const style = /href="(\/live\/assets\/[^"]+\.css)"/.exec(page.text)![1]!;
    const js = await http(gw.url, 'GET', script);
    expect(js.status).toBe(200);
    expect(js.headers.get('content-type')).toBe('text/javascript; charset=utf-8');
    expect(js.headers.get('cache-control')).toBe('public, max-age=31536000, immutable');
    expect((await http(gw.url, 'GET', style)).headers.get('content-type')).toBe('text/css; charset=utf-8');
  });

  it('sends a strict CSP with the page, and nosniff, no-referrer and no framing with everything', async () => {
    const page = await http(gw.url, 'GET', '/live');
    const csp = page.headers.get('content-security-policy') ?? '';
    for (const directive of ["default-src 'none'", "script-src 'self'", "connect-src 'self'", "frame-ancestors 'none'"]) expect(csp).toContain(directive);
    expect(csp).not.toContain('unsafe-inline');
    const script = /src="(\/live\/assets\/[^"]+\.js)"/.exec(page.text)![1]!;
    for (const res of [page, await http(gw.url, 'GET', script)]) {
      expect(res.headers.get('x-content-type-options')).toBe('nosniff');
      expect(res.headers.get('referrer-policy')).toBe('no-referrer');
      expect(res.headers.get('x-frame-options')).toBe('DENY');
    }
  });

  it('answers 304 to a matching If-None-Match', async () => {
    const first = await http(gw.url, 'GET', '/live');
    const again = await http(gw.url, 'GET', '/live', undefined, { 'if-none-match': first.headers.get('etag')! });
    expect(again.status).toBe(304);
    expect(again.text).toBe('');
  });

  it('unknown assets are 404', async () => {
    expect((await http(gw.url, 'GET', '/live/assets/nope.js')).status).toBe(404);
  });
});
