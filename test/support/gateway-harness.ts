import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { unpack } from 'msgpackr';
import { WebSocket } from 'undici';
import { afterEach, beforeEach } from 'vitest';
import { configWith } from '../../src/main/config/load-config.js';
import type { Config } from '../../src/main/config/settings.js';
import { startGateway, type Gateway, type GatewayPlugins } from '../../src/main/gateway.js';
import { setLogLevel } from '../../src/shared/log.js';
import { freePort } from '../../tools/lib/free-port.js';

setLogLevel((process.env.TEST_LOG_LEVEL as 'info') ?? 'warn');

export interface TestGateway extends Gateway {
  readonly dir: string;
  readonly dbPath: string;
  /** Stops the gateway (if running) and removes its directory. */
  dispose(): Promise<void>;
}

/** Store settings for each new test gateway; null = SQLite in the gateway's directory. */
let storeSettings: (() => Promise<Partial<Config>>) | null = null;

/**
 * Makes every test gateway of this file store its candles where `settings` says, asked once per
 * gateway (PostgreSQL: a fresh database each time). The store-agnostic contract tests run
 * unchanged against PostgreSQL this way (test/integration/postgres/).
 */
export function storeTestGatewaysWith(settings: () => Promise<Partial<Config>>): void {
  storeSettings = settings;
}

/** The real gateway (uWS on an ephemeral 127.0.0.1 port, writer worker, SQLite file in a temp dir). */
export async function startTestGateway(
  overrides: Partial<Config> = {},
  plugins: GatewayPlugins = {},
  dir = mkdtempSync(join(tmpdir(), 'kline-gw-it-')),
): Promise<TestGateway> {
  const dbPath = join(dir, 'market.db');
  const config = configWith({
    host: '127.0.0.1',
    port: 0,
    dbPath,
    whitelistPath: join(dir, 'whitelist.json'),
    enableDevApi: true,
    enableDebugApi: true,
    ...(await storeSettings?.()),
    ...overrides,
  });
  const gateway = await startGateway(config, plugins);
  let stopped = false;
  return {
    ...gateway,
    dir,
    dbPath,
    stop: async () => {
      stopped = true;
      await gateway.stop();
    },
    dispose: async () => {
      if (!stopped) await gateway.stop();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/**
 * `startTestGateway` on a fixed, free port rather than port 0. A restart test needs it: uWS only
 * sets SO_REUSEADDR on fixed ports, so the port of a gateway started on port 0 cannot be bound
 * again while connections it accepted linger (open, or in TIME_WAIT once its stop closed them).
 * Retries if another process took the port.
 */
/**
 * A fresh gateway for each test of the enclosing describe (started with `overrides`, then
 * `seed`ed), disposed after it together with every client opened through `connect`.
 */
export function gatewayPerTest(
  overrides: Partial<Config> = {},
  seed?: (gw: TestGateway) => Promise<void>,
): { readonly gw: TestGateway; connect(query?: string): Promise<WsClient> } {
  let current: TestGateway | undefined;
  const clients: WsClient[] = [];
  beforeEach(async () => {
    current = await startTestGateway(overrides);
    await seed?.(current);
  });
  afterEach(async () => {
    clients.splice(0).forEach((c) => c.close());
    await current?.dispose();
    current = undefined;
  });
  return {
    get gw(): TestGateway {
      if (!current) throw new Error('the per-test gateway is used outside a test');
      return current;
    },
    async connect(query = ''): Promise<WsClient> {
      const client = await WsClient.connect(this.gw, query);
      clients.push(client);
      return client;
    },
  };
}

export async function startTestGatewayOnFixedPort(overrides: Partial<Config> = {}, plugins: GatewayPlugins = {}, dir?: string): Promise<TestGateway> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await startTestGateway({ ...overrides, port: await freePort() }, plugins, dir);
    } catch (err) {
      if (attempt >= 3 || !(err instanceof Error && err.message.startsWith('cannot listen'))) throw err;
    }
  }
}

export interface HttpResult {
  status: number;
  body: any;
  text: string;
  headers: Headers;
}

export async function http(base: string, method: string, path: string, body?: unknown, headers: Record<string, string> = {}): Promise<HttpResult> {
  const res = await fetch(base + path, {
    method,
    headers: body === undefined ? headers : { 'content-type': 'application/json', ...headers },
    body: body === undefined ? undefined : typeof body === 'string' ? body : JSON.stringify(body),
  });
  const text = await res.text();
  let parsed: unknown = undefined;
  try {
    parsed = JSON.parse(text);
  } catch {
    /* not JSON */
  }
  return { status: res.status, body: parsed, text, headers: res.headers };
}

export const candle = (t: number, close = 1.5) => ({ candle_time: t, open: 1, high: 2, low: 0.5, close, volume: 10 });

export function postClosed(base: string, seriesId: string, c: object, headers?: Record<string, string>): Promise<HttpResult> {
  return http(base, 'POST', '/api/market/ingest/candle_closed', { series_id: seriesId, candle: c }, headers);
}

export function postForming(base: string, seriesId: string, c: object): Promise<HttpResult> {
  return http(base, 'POST', '/api/market/ingest/candle_forming', { series_id: seriesId, candle: c });
}

export function postBatch(base: string, seriesId: string, candles: object[], publish = false): Promise<HttpResult> {
  return http(base, 'POST', '/api/dev/market/ingest/candles_closed_batch', { series_id: seriesId, candles, publish_ws: publish });
}

/**
 * A real WebSocket client (undici) that records every server message, decoded, and lets a test
 * wait for the next ones.
 */
export class WsClient {
  readonly messages: any[] = [];
  /** performance.now() when each message arrived (same index as `messages`). */
  readonly receivedAt: number[] = [];
  closeEvent: { code: number; reason: string } | null = null;
  private waiters: Array<() => void> = [];
  private readonly ws: WebSocket;
  private cursor = 0;

  private constructor(url: string) {
    this.ws = new WebSocket(url);
    this.ws.binaryType = 'arraybuffer';
    this.ws.addEventListener('message', (ev) => {
      const data = ev.data as string | ArrayBuffer;
      this.messages.push(typeof data === 'string' ? JSON.parse(data) : unpack(new Uint8Array(data)));
      this.receivedAt.push(performance.now());
      this.wake();
    });
    this.ws.addEventListener('close', (ev) => {
      this.closeEvent = { code: ev.code, reason: ev.reason };
      this.wake();
    });
  }

  static async connect(gateway: { port: number }, query = ''): Promise<WsClient> {
    const client = new WsClient(`ws://127.0.0.1:${gateway.port}/ws/market${query}`);
    await new Promise<void>((resolve, reject) => {
      client.ws.addEventListener('open', () => resolve(), { once: true });
      client.ws.addEventListener('error', () => reject(new Error('websocket failed to open')), { once: true });
    });
    return client;
  }

  send(message: unknown): void {
    this.ws.send(typeof message === 'string' ? message : JSON.stringify(message));
  }

  sendRaw(data: string | Uint8Array): void {
    this.ws.send(data);
  }

  /** The next `count` messages not yet taken. */
  async next(count = 1, timeoutMs = 5000): Promise<any[]> {
    await this.until(() => this.messages.length >= this.cursor + count, timeoutMs, `${count} more message(s)`);
    const out = this.messages.slice(this.cursor, this.cursor + count);
    this.cursor += count;
    return out;
  }

  /** Asserts that nothing arrives within `ms`. */
  async expectSilence(ms = 300): Promise<void> {
    await new Promise((r) => setTimeout(r, ms));
    if (this.messages.length > this.cursor) throw new Error(`unexpected message(s): ${JSON.stringify(this.messages.slice(this.cursor))}`);
  }

  async closed(timeoutMs = 5000): Promise<{ code: number; reason: string }> {
    await this.until(() => this.closeEvent !== null, timeoutMs, 'close');
    return this.closeEvent!;
  }

  close(): void {
    this.ws.close();
  }

  private until(done: () => boolean, timeoutMs: number, what: string): Promise<void> {
    if (done()) return Promise.resolve();
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`timed out waiting for ${what}; got ${JSON.stringify(this.messages.slice(this.cursor))}`)), timeoutMs);
      const check = () => {
        if (done()) {
          clearTimeout(timer);
          resolve();
        } else this.waiters.push(check);
      };
      this.waiters.push(check);
    });
  }

  private wake(): void {
    const waiters = this.waiters;
    this.waiters = [];
    for (const w of waiters) w();
  }
}
