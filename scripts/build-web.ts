import { build } from 'esbuild';
import { mkdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { basename, join, relative, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { LIVE_ASSET_PREFIX, WEB_ASSETS_SUBDIR, WEB_BUILD_DIR } from '../src/main/live-page/web-paths.js';

/**
 * Bundles the live page (web/) into dist/web: index.html plus content-hashed JS/CSS and their
 * source maps under assets/. Everything the page needs is in the bundle (lightweight-charts
 * included), so it works offline and behind any firewall. Usage: `npm run build:web`.
 */

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const ENTRY = 'web/main.ts';
const TEMPLATE = 'web/index.html';

export interface BuildWebOptions {
  /** Output directory; default dist/web of this checkout. Emptied first. */
  outDir?: string;
  minify?: boolean;
}

export interface BuiltWeb {
  outDir: string;
  /** URL paths written into index.html. */
  scriptSrc: string;
  styleHref: string;
  /** Every file written, relative to outDir. */
  files: string[];
}

export async function buildWeb(options: BuildWebOptions = {}): Promise<BuiltWeb> {
  const outDir = resolve(options.outDir ?? join(ROOT, WEB_BUILD_DIR));
  const assetsDir = join(outDir, WEB_ASSETS_SUBDIR);
  // Old hashed files would otherwise pile up and be loaded into the gateway's memory.
  rmSync(outDir, { recursive: true, force: true });
  mkdirSync(assetsDir, { recursive: true });

  const result = await build({
    absWorkingDir: ROOT,
    entryPoints: [ENTRY],
    tsconfig: 'web/tsconfig.json',
    bundle: true,
    format: 'esm',
    platform: 'browser',
    // Evergreen browsers of the last few years: module scripts, ResizeObserver, dvh units.
    target: ['es2020', 'chrome100', 'firefox100', 'safari15.4'],
    minify: options.minify ?? true,
    sourcemap: 'linked',
    entryNames: '[name]-[hash]',
    assetNames: '[name]-[hash]',
    outdir: assetsDir,
    metafile: true,
    logLevel: 'warning',
  });

  const outputs = Object.entries(result.metafile.outputs);
  const entry = outputs.find(([, meta]) => meta.entryPoint === ENTRY);
  if (!entry || !entry[1].cssBundle) throw new Error(`esbuild produced no JS+CSS bundle for ${ENTRY}`);
  const scriptSrc = LIVE_ASSET_PREFIX + basename(entry[0]);
  const styleHref = LIVE_ASSET_PREFIX + basename(entry[1].cssBundle);

  const html = readFileSync(join(ROOT, TEMPLATE), 'utf8');
  if (!html.includes('%SCRIPT_SRC%') || !html.includes('%STYLE_HREF%')) {
    throw new Error(`${TEMPLATE} lost its %SCRIPT_SRC% / %STYLE_HREF% placeholders`);
  }
  writeFileSync(join(outDir, 'index.html'), html.replace('%SCRIPT_SRC%', scriptSrc).replace('%STYLE_HREF%', styleHref));

  const files = ['index.html', ...outputs.map(([path]) => relative(outDir, join(ROOT, path)))].sort();
  return { outDir, scriptSrc, styleHref, files };
}

async function main(): Promise<void> {
  const built = await buildWeb();
  for (const file of built.files) {
    const kib = statSync(join(built.outDir, file)).size / 1024;
    process.stdout.write(`${relative(process.cwd(), join(built.outDir, file))}  ${kib.toFixed(1)} KiB\n`);
  }
}

if (process.argv[1] && import.meta.url === pathToFileURL(resolve(process.argv[1])).href) {
  main().catch((err: unknown) => {
    process.stderr.write(`build:web failed: ${err instanceof Error ? err.message : String(err)}\n`);
    process.exitCode = 1;
  });
}
