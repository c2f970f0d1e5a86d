/// <reference lib="dom" />
// The page.evaluate callbacks below run in the browser, hence the DOM library.
import { existsSync, mkdirSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { chromium, type Browser, type BrowserContext, type Page } from 'playwright-core';
import { afterAll, afterEach, beforeAll, describe, expect } from 'vitest';
import type { ChartDebugHandle } from '../../web/view/test-hooks.js';
import type { TestGateway } from './gateway-harness.js';

/**
 * Browser E2E support: Debian's Chromium driven by playwright-core (playwright cannot download its
 * own browsers here), one browser per test file, one context per test.
 */

export const CHROMIUM_PATH = '/usr/bin/chromium';
export const chromiumPresent = existsSync(CHROMIUM_PATH);

/** Screenshots and other artifacts a human may want after a run (git-ignored). */
export const ARTIFACTS_DIR = fileURLToPath(new URL('../../test-artifacts/', import.meta.url));

/**
 * Generous: CI has 2 cores shared by Chromium, the gateway under test and other test files that
 * start gateways and worker threads of their own. Waits end as soon as the condition holds.
 */
export const UI_TIMEOUT_MS = 15_000;

/** `describe` that runs only when Chromium is installed, and prints why it skips otherwise. */
export function describeWithChromium(name: string, body: () => void): void {
  if (!chromiumPresent) {
    console.warn(
      `[skip] "${name}": ${CHROMIUM_PATH} is absent; install Debian's chromium (apt-get install chromium; .ci/run does) to run the browser E2E tests`,
    );
  }
  describe.skipIf(!chromiumPresent)(name, body);
}

export function launchChromium(): Promise<Browser> {
  return chromium.launch({
    executablePath: CHROMIUM_PATH,
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking'],
  });
}

export function artifactPath(name: string): string {
  mkdirSync(ARTIFACTS_DIR, { recursive: true });
  return ARTIFACTS_DIR + name;
}

export interface E2E {
  /** Opens `path` of the gateway at `baseUrl` in a fresh context, closed after the test. */
  open(baseUrl: string, path?: string): Promise<LivePage>;
  /** Disposes `gateway` after the test, once its pages are closed; newest first. */
  own<T extends TestGateway>(gateway: T): T;
}

/**
 * One Chromium for the calling test file. After each test its pages are closed first (so they
 * cannot see the gateway go away), then its gateways are disposed, newest first (a restarted one
 * shares its predecessor's directory), and then the test fails if a page had browser-side problems.
 */
export function useChromium(): E2E {
  let browser: Browser | null = null;
  const pages: LivePage[] = [];
  const gateways: TestGateway[] = [];
  beforeAll(async () => {
    browser = await launchChromium();
  });
  afterAll(async () => {
    await browser?.close();
  });
  afterEach(async () => {
    const open = pages.splice(0);
    const problems = open.flatMap((p) => p.problems);
    for (const page of open) await page.close();
    for (const gateway of gateways.splice(0).reverse()) await gateway.dispose();
    expect(problems, 'browser-side errors').toEqual([]);
  });
  return {
    async open(baseUrl, path = '/live') {
      const live = await LivePage.create(browser!);
      pages.push(live);
      await live.page.goto(baseUrl + path);
      return live;
    },
    own(gateway) {
      gateways.push(gateway);
      return gateway;
    },
  };
}

const CHART = '[data-testid="chart-view"]';

/** One WebSocket frame (JSON), with the index of the socket (in opening order) it went over. */
export interface WsFrame {
  socket: number;
  data: any;
}

/**
 * A `/live` page plus what it did on the wire and in its console, recorded from before its first
 * request: candle GETs, every frame it sent, documents loaded, and anything that looks broken.
 */
export class LivePage {
  /** URLs of every `GET /api/market/candles` the page made. */
  readonly candleGets: URL[] = [];
  /** Client → server frames. */
  readonly sentFrames: WsFrame[] = [];
  /** Server → client frames. */
  readonly receivedFrames: WsFrame[] = [];
  /** Top-level document loads (a reload would add one). */
  readonly documentLoads: string[] = [];
  /** Console errors, page errors, `[live]` warnings (dropped frames), failed or 4xx/5xx requests. */
  readonly problems: string[] = [];
  private sockets = 0;

  private constructor(
    readonly context: BrowserContext,
    readonly page: Page,
  ) {
    page.on('request', (request) => {
      const url = new URL(request.url());
      if (url.pathname === '/api/market/candles') this.candleGets.push(url);
      if (request.isNavigationRequest() && request.frame() === page.mainFrame()) this.documentLoads.push(request.url());
    });
    page.on('websocket', (ws) => {
      const socket = this.sockets++;
      ws.on('framesent', (frame) => this.sentFrames.push({ socket, data: parseFrame(frame.payload) }));
      ws.on('framereceived', (frame) => this.receivedFrames.push({ socket, data: parseFrame(frame.payload) }));
    });
    page.on('console', (message) => {
      if (message.type() === 'error' || (message.type() === 'warning' && message.text().startsWith('[live]'))) {
        this.problems.push(`console.${message.type()}: ${message.text()}`);
      }
    });
    page.on('pageerror', (error) => this.problems.push(`page error: ${error.stack ?? error.message}`));
    page.on('requestfailed', (request) => {
      // The page closes its market-list stream (an EventSource) when the searched market changes: aborted on purpose.
      if (request.failure()?.errorText === 'net::ERR_ABORTED' && new URL(request.url()).pathname === '/api/market/top_markets/stream') return;
      this.problems.push(`request failed: ${request.url()} ${request.failure()?.errorText ?? ''}`);
    });
    page.on('response', (response) => {
      if (response.status() >= 400) this.problems.push(`HTTP ${response.status()} for ${response.url()}`);
    });
  }

  /** A fresh context and page (1280×720, device pixel ratio 1), recording from its first request. */
  static async create(browser: Browser): Promise<LivePage> {
    const context = await browser.newContext({ viewport: { width: 1280, height: 720 }, deviceScaleFactor: 1 });
    return new LivePage(context, await context.newPage());
  }

  /** The subscribe frames sent so far. */
  subscribes(): WsFrame[] {
    return this.sentFrames.filter((f) => f.data?.type === 'subscribe');
  }

  hook(name: string): Promise<string | null> {
    return this.page.locator(CHART).getAttribute(name);
  }

  /** Waits until `data-<name>` on the chart view equals `value`. */
  async expectHook(name: string, value: string): Promise<void> {
    await expect.poll(() => this.hook(name), { timeout: UI_TIMEOUT_MS, message: `${CHART} ${name}` }).toBe(value);
  }

  /** candle_time of every bar the chart holds (the page's read-only `window.__klineChart`). */
  chartTimes(): Promise<number[]> {
    return this.page.evaluate(() => {
      const handle: ChartDebugHandle | undefined = window.__klineChart;
      if (!handle) throw new Error('window.__klineChart is missing: the page no longer exposes its debug handle');
      return handle.times();
    });
  }

  /** First and last time on screen (the page's read-only `window.__klineChart`). */
  visibleTimes(): Promise<{ from: number; to: number } | null> {
    return this.page.evaluate(() => window.__klineChart!.visibleTimes());
  }

  /** x (CSS pixels) at which each bar of `times` is drawn, null for one not on the time scale. */
  xOf(times: number[]): Promise<Array<number | null>> {
    return this.page.evaluate((ts) => ts.map((t) => window.__klineChart!.xOf(t)), times);
  }

  /**
   * Records every value `data-live-load-status` takes from now on, in order, into
   * `window.__statusLog`: transient states (a short `reconnecting`) cannot slip between two polls.
   */
  async recordStatusChanges(): Promise<void> {
    await this.page.evaluate((selector) => {
      const element = document.querySelector(selector)!;
      const log: string[] = [element.getAttribute('data-live-load-status') ?? ''];
      (window as any).__statusLog = log;
      new MutationObserver(() => {
        const status = element.getAttribute('data-live-load-status') ?? '';
        if (log[log.length - 1] !== status) log.push(status);
      }).observe(element, { attributes: true, attributeFilter: ['data-live-load-status'] });
    }, CHART);
  }

  statusChanges(): Promise<string[]> {
    return this.page.evaluate(() => [...((window as any).__statusLog as string[])]);
  }

  /** Removes and returns the problems matching `pattern`: ones a test caused on purpose. */
  takeProblems(pattern: RegExp): string[] {
    const taken = this.problems.filter((p) => pattern.test(p));
    const rest = this.problems.filter((p) => !pattern.test(p));
    this.problems.splice(0, this.problems.length, ...rest);
    return taken;
  }

  close(): Promise<void> {
    return this.context.close();
  }
}

/** The page speaks JSON text only; anything else is recorded as-is so an assertion shows it. */
function parseFrame(payload: string | Buffer): unknown {
  const text = typeof payload === 'string' ? payload : payload.toString('utf8');
  try {
    return JSON.parse(text);
  } catch {
    return text;
  }
}
