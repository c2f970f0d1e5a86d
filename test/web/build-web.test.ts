import { mkdtempSync, rmSync, unlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildWeb, type BuiltWeb } from '../../scripts/build-web.js';
import { isNotModified, loadWebAssets, WebAssetsMissingError } from '../../src/main/live-page/web-assets.js';

describe('live page build and web-assets', () => {
  let dir: string;
  let built: BuiltWeb;

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'kline-web-'));
    built = await buildWeb({ outDir: join(dir, 'web') });
  }, 60_000);

  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('writes index.html naming content-hashed JS and CSS bundles with source maps', () => {
    expect(built.scriptSrc).toMatch(/^\/live\/assets\/main-[A-Z0-9]{8}\.js$/);
    expect(built.styleHref).toMatch(/^\/live\/assets\/main-[A-Z0-9]{8}\.css$/);
    const names = built.files.map((f) => f.replace(/-[A-Z0-9]{8}\./, '-HASH.')).sort();
    expect(names).toEqual(['assets/main-HASH.css', 'assets/main-HASH.css.map', 'assets/main-HASH.js', 'assets/main-HASH.js.map', 'index.html']);
  });

  it('serves the page and its assets from memory with the right types, caching and validators', () => {
    const assets = loadWebAssets(built.outDir);
    const page = assets.lookup('/live')!;
    expect(page).toBe(assets.page);
    expect(assets.lookup('/live/')).toBe(page);
    expect(page.contentType).toBe('text/html; charset=utf-8');
    expect(page.cacheControl).toBe('no-cache');
    const html = page.body.toString('utf8');
    expect(html).toContain(`<script type="module" src="${built.scriptSrc}">`);
    expect(html).toContain(`<link rel="stylesheet" href="${built.styleHref}" />`);
    expect(html).toContain('data-testid="chart-view"');
    expect(html).not.toMatch(/https?:\/\/(?!www\.w3\.org)/); // no CDN: the page works offline

    const js = assets.lookup(built.scriptSrc)!;
    expect(js.contentType).toBe('text/javascript; charset=utf-8');
    expect(js.cacheControl).toBe('public, max-age=31536000, immutable');
    expect(js.body.toString('utf8')).toContain('/api/market/candles');
    expect(assets.lookup(built.styleHref)!.contentType).toBe('text/css; charset=utf-8');
    expect(assets.lookup(`${built.scriptSrc}.map`)!.contentType).toBe('application/json; charset=utf-8');
    expect(assets.lookup('/live/assets/../index.html')).toBeUndefined();
    expect(assets.lookup('/api/market/candles')).toBeUndefined();
    expect(assets.all()).toHaveLength(5);

    expect(js.etag).toMatch(/^"[\w-]+"$/);
    expect(js.etag).not.toBe(page.etag);
    expect(isNotModified(js, js.etag)).toBe(true);
    expect(isNotModified(js, `"other", W/${js.etag}`)).toBe(true);
    expect(isNotModified(js, '"other"')).toBe(false);
    expect(isNotModified(js, undefined)).toBe(false);
  });

  it('fails at start-up, saying to run the build, when dist/web is missing or stale', () => {
    const missing = join(dir, 'nowhere');
    expect(() => loadWebAssets(missing)).toThrow(WebAssetsMissingError);
    expect(() => loadWebAssets(missing)).toThrow(/npm run build:web/);

    unlinkSync(join(built.outDir, built.scriptSrc.replace('/live/', '')));
    expect(() => loadWebAssets(built.outDir)).toThrow(/main-[A-Z0-9]{8}\.js is missing.*npm run build:web/);
  });
});
