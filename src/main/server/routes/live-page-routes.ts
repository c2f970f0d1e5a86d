import { GatewayError } from '../../../shared/errors.js';
import { createLogger } from '../../../shared/log.js';
import { isNotModified, loadWebAssets, WebAssetsMissingError, type WebAsset } from '../../live-page/web-assets.js';
import { LIVE_PAGE_PATH } from '../../live-page/web-paths.js';
import { errorReply, type Reply, type Route } from '../http-router.js';

const log = createLogger('http.live');

/**
 * `GET /live` and its hashed assets, from memory (issue 5). Without a build the page answers 503
 * naming the fix, and the API keeps working.
 */
export function livePageRoutes(webDir?: string): Route[] {
  try {
    const assets = loadWebAssets(webDir);
    const routes: Route[] = assets.all().map((asset) => assetRoute(asset.path, asset));
    routes.push(assetRoute(`${LIVE_PAGE_PATH}/`, assets.page));
    return routes;
  } catch (err) {
    if (!(err instanceof WebAssetsMissingError)) throw err;
    log.warn('live page unavailable', { reason: err.message });
    const reply = errorReply(new GatewayError('unavailable', err.message));
    return [{ method: 'GET', path: LIVE_PAGE_PATH, handle: () => reply }];
  }
}

/**
 * The page has no inline script or style and talks only to its own origin (HTTP and WebSocket),
 * so the policy can be strict: nothing but same-origin scripts, styles and connections; no
 * framing (clickjacking), no plugins, no base-URL or form hijack. `data:` images: the empty
 * favicon. `'self'` in connect-src covers ws:/wss: to the same host (CSP level 3).
 *
 * One inline style is allowed by its hash: lightweight-charts injects a constant <style> for its
 * attribution logo (test/main/server/live-page-csp.test.ts recomputes it from the installed
 * library, so an upgrade that changes it fails there, not silently in browsers).
 */
export const CHART_LIBRARY_STYLE_HASH = 'sha256-3pRED1tOXas1FXFoPb9TGCjmYe9XQsmO9OV23khV2nY=';
export const LIVE_PAGE_CSP = [
  "default-src 'none'",
  "script-src 'self'",
  `style-src 'self' '${CHART_LIBRARY_STYLE_HASH}'`,
  "img-src 'self' data:",
  "connect-src 'self'",
  "base-uri 'none'",
  "form-action 'none'",
  "frame-ancestors 'none'",
].join('; ');

/** On every page and asset answer: no MIME sniffing, no referrer leaking series ids, no framing. */
const SECURITY_HEADERS = {
  'x-content-type-options': 'nosniff',
  'referrer-policy': 'no-referrer',
  'x-frame-options': 'DENY',
};

function assetRoute(path: string, asset: WebAsset): Route {
  const isPage = asset.contentType.startsWith('text/html');
  const headers = {
    'content-type': asset.contentType,
    'cache-control': asset.cacheControl,
    etag: asset.etag,
    ...SECURITY_HEADERS,
    ...(isPage ? { 'content-security-policy': LIVE_PAGE_CSP } : {}),
  };
  const notModified: Reply = { status: 304, body: '', headers: { 'cache-control': asset.cacheControl, etag: asset.etag } };
  return {
    method: 'GET',
    path,
    name: path.startsWith(`${LIVE_PAGE_PATH}/assets/`) ? `${LIVE_PAGE_PATH}/assets` : LIVE_PAGE_PATH,
    handle: ({ req }) => (isNotModified(asset, req.header('if-none-match')) ? notModified : { status: 200, body: asset.body, headers }),
  };
}
