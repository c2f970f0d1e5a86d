import { createHash } from 'node:crypto';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { extname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { LIVE_ASSET_PREFIX, LIVE_PAGE_PATH, WEB_ASSETS_SUBDIR } from './web-paths.js';

/**
 * The built live page (dist/web), read into memory once at start-up so that serving it is a map
 * lookup plus one write: no disk I/O on the request path, no path handling that could escape
 * the directory. The HTTP layer sends `body` with these headers; `isNotModified` answers 304s.
 */
export interface WebAsset {
  /** URL path this asset answers, e.g. `/live` or `/live/assets/main-3KX7Q2.js`. */
  readonly path: string;
  readonly body: Buffer;
  readonly contentType: string;
  readonly cacheControl: string;
  /** Strong validator, quoted, from the content. */
  readonly etag: string;
}

export interface WebAssets {
  /** The page itself (`/live`). */
  readonly page: WebAsset;
  /** The asset for a URL path (query string already removed), or undefined. */
  lookup(urlPath: string): WebAsset | undefined;
  all(): readonly WebAsset[];
}

/** The page must be revalidated every time: it names the current hashed bundle. */
const PAGE_CACHE_CONTROL = 'no-cache';
/** Content-hashed names change whenever content does, so browsers may keep them forever. */
const ASSET_CACHE_CONTROL = 'public, max-age=31536000, immutable';

const CONTENT_TYPES: Readonly<Record<string, string>> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.map': 'application/json; charset=utf-8',
  '.json': 'application/json; charset=utf-8',
  '.txt': 'text/plain; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.woff2': 'font/woff2',
};

export class WebAssetsMissingError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'WebAssetsMissingError';
  }
}

/**
 * dist/web of this checkout, whether we run from source (src/main/live-page/*.ts under tsx/vitest)
 * or compiled (dist/src/main/live-page/*.js): both are three levels below a directory holding it.
 */
export function defaultWebDir(): string {
  const fromSource = import.meta.url.endsWith('.ts');
  return fileURLToPath(new URL(fromSource ? '../../../dist/web/' : '../../../web/', import.meta.url));
}

export function contentTypeOf(fileName: string): string {
  return CONTENT_TYPES[extname(fileName).toLowerCase()] ?? 'application/octet-stream';
}

function etagOf(body: Buffer): string {
  return `"${createHash('sha256').update(body).digest('base64url').slice(0, 32)}"`;
}

function asset(path: string, body: Buffer, fileName: string, cacheControl: string): WebAsset {
  return Object.freeze({ path, body, contentType: contentTypeOf(fileName), cacheControl, etag: etagOf(body) });
}

/** Loads dist/web; throws WebAssetsMissingError, naming the fix, when the build is absent or stale. */
export function loadWebAssets(dir: string = defaultWebDir()): WebAssets {
  const indexFile = join(dir, 'index.html');
  const assetsDir = join(dir, WEB_ASSETS_SUBDIR);
  if (!existsSync(indexFile) || !existsSync(assetsDir)) {
    throw new WebAssetsMissingError(`live page not built: ${indexFile} is missing; run \`npm run build:web\``);
  }
  const page = asset(LIVE_PAGE_PATH, readFileSync(indexFile), 'index.html', PAGE_CACHE_CONTROL);
  const byPath = new Map<string, WebAsset>([[LIVE_PAGE_PATH, page]]);
  for (const entry of readdirSync(assetsDir, { withFileTypes: true })) {
    if (!entry.isFile()) continue;
    const path = LIVE_ASSET_PREFIX + entry.name;
    byPath.set(path, asset(path, readFileSync(join(assetsDir, entry.name)), entry.name, ASSET_CACHE_CONTROL));
  }
  // A page naming a bundle that is not there would load blank; say so at start-up instead.
  for (const ref of page.body.toString('utf8').matchAll(/(?:src|href)="([^"]+)"/g)) {
    const url = ref[1]!;
    if (url.startsWith(LIVE_ASSET_PREFIX) && !byPath.has(url)) {
      throw new WebAssetsMissingError(`live page build is incomplete: ${url} is missing from ${assetsDir}; run \`npm run build:web\``);
    }
  }
  const all = Object.freeze([...byPath.values()]);
  return {
    page,
    // `/live/` too: a trailing slash typed by hand must not 404.
    lookup: (urlPath) => byPath.get(urlPath === `${LIVE_PAGE_PATH}/` ? LIVE_PAGE_PATH : urlPath),
    all: () => all,
  };
}

/** True when an `If-None-Match` header names this asset's ETag (RFC 9110 §13.1.2, weak comparison). */
export function isNotModified(asset: WebAsset, ifNoneMatch: string | undefined): boolean {
  if (!ifNoneMatch) return false;
  if (ifNoneMatch.trim() === '*') return true;
  return ifNoneMatch.split(',').some((tag) => tag.trim().replace(/^W\//, '') === asset.etag);
}
