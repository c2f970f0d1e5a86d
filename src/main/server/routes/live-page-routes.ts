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

function assetRoute(path: string, asset: WebAsset): Route {
  const headers = { 'content-type': asset.contentType, 'cache-control': asset.cacheControl, etag: asset.etag };
  const notModified: Reply = { status: 304, body: '', headers: { 'cache-control': asset.cacheControl, etag: asset.etag } };
  return {
    method: 'GET',
    path,
    name: path.startsWith(`${LIVE_PAGE_PATH}/assets/`) ? `${LIVE_PAGE_PATH}/assets` : LIVE_PAGE_PATH,
    handle: ({ req }) => (isNotModified(asset, req.header('if-none-match')) ? notModified : { status: 200, body: asset.body, headers }),
  };
}
