import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { CHART_LIBRARY_STYLE_HASH, LIVE_PAGE_CSP } from '../../../src/main/server/routes/live-page-routes.js';

describe('the live page CSP', () => {
  it("allows exactly the installed chart library's injected style, by hash", () => {
    // The production build is what the page bundles (the package exports only '.', so go by its folder).
    const lib = join(dirname(createRequire(import.meta.url).resolve('lightweight-charts/package.json')), 'dist/lightweight-charts.production.mjs');
    const styles = [...readFileSync(lib, 'utf8').matchAll(/createElement\("style"\),this\.\w+\.innerText="([^"]*)"/g)].map((m) => m[1]!);
    expect(styles).toHaveLength(1);
    expect(CHART_LIBRARY_STYLE_HASH).toBe(`sha256-${createHash('sha256').update(styles[0]!).digest('base64')}`);
    expect(LIVE_PAGE_CSP).toContain(`'${CHART_LIBRARY_STYLE_HASH}'`);
  });
});
