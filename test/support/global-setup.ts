import { buildWeb } from '../../scripts/build-web.js';

/**
 * Runs once before the suite: builds the live page into dist/web (esbuild, ~1 s), so a fresh clone
 * needs no separate build step before `npm test`, and the page under test is the current source.
 */
export default async function setup(): Promise<void> {
  await buildWeb();
}
