/**
 * URL layout of the live page, shared by the build (which writes these URLs into index.html) and
 * the server side (which answers them). Assets sit under the page's own path so they can never
 * collide with `/api/*` or `/ws/*`.
 */
export const LIVE_PAGE_PATH = '/live';
export const LIVE_ASSET_PREFIX = '/live/assets/';

/** Where `npm run build:web` writes, relative to the repository root. */
export const WEB_BUILD_DIR = 'dist/web';
export const WEB_ASSETS_SUBDIR = 'assets';
