import { writeFileSync } from 'node:fs';
import type { FakeBinance } from '../fake-binance/fake-binance.js';
import { startGateway, type Gateway } from '../../src/main/gateway.js';
import { setLogLevel } from '../../src/shared/log.js';
import type { BannerInfo } from './demo-banner.js';
import { demoClock } from './demo-clock.js';
import { DEMO_HOST, demoGatewayConfig } from './demo-config.js';
import { demoPaths, prepareDemoDir } from './demo-dir.js';
import { startDemoExchange } from './demo-exchange.js';
import { writeDemoHistory, type DemoHistoryFile } from './demo-history.js';
import type { DemoOptions } from './demo-options.js';
import { choosePort } from './demo-port.js';
import { DEMO_SERIES } from './demo-series.js';

export interface DemoDeps {
  /** Builds the live page into `outDir` (scripts/build-web.ts; injected: src/ does not import scripts/). */
  readonly buildWeb: (outDir: string) => Promise<void>;
  /** Progress lines while starting. */
  readonly say?: (line: string) => void;
}

export interface RunningDemo {
  readonly gateway: Gateway;
  readonly exchange: FakeBinance;
  readonly history: readonly DemoHistoryFile[];
  readonly banner: BannerInfo;
  /** Gateway first (graceful: ingest stops, the writer commits), then the fake. Idempotent. */
  stop(): Promise<void>;
}

/**
 * Starts the whole demo: data dir, port, live page, fake exchange, history files cut from it,
 * then the gateway in this process (its workers are threads of it, so one Ctrl-C reaches all).
 * Throws DemoError for problems the user can fix; whatever was started is stopped again.
 */
export async function startDemo(options: DemoOptions, deps: DemoDeps): Promise<RunningDemo> {
  const say = deps.say ?? (() => undefined);
  const paths = demoPaths(options.dataDir);
  await prepareDemoDir(paths);
  const port = await choosePort(DEMO_HOST, options.port, options.portExplicit);
  say('building the live page…');
  await deps.buildWeb(paths.web);

  const clock = demoClock(options.barSeconds);
  say(`starting the fake Binance and writing ${options.historyBars} bars of history per series…`);
  const exchange = await startDemoExchange({ clock, series: DEMO_SERIES, seed: options.seed });
  let gateway: Gateway;
  let history: DemoHistoryFile[];
  try {
    history = await writeDemoHistory(exchange, DEMO_SERIES, paths.datadir, options.historyBars);
    writeFileSync(paths.whitelist, `${JSON.stringify({ series_ids: DEMO_SERIES.map((s) => s.seriesId) }, null, 2)}\n`);
    say('starting the gateway…');
    setLogLevel(options.logLevel); // before the gateway: its worker threads take the level at spawn
    gateway = await startGateway(demoGatewayConfig({ port: port.port, paths, exchange, historyBars: options.historyBars, logLevel: options.logLevel }), {
      webDir: paths.web,
    });
  } catch (err) {
    await exchange.close();
    throw err;
  }
  // The whitelist jobs import their history before they start; the banner waits for that, so
  // the chart it points to opens with the history, and a Ctrl-C right after it interrupts nothing.
  say('importing the history…');
  const outcomes = await Promise.all(DEMO_SERIES.map(async (s) => ({ seriesId: s.seriesId, outcome: await gateway.history?.ensure(s.seriesId) })));
  for (const { seriesId, outcome } of outcomes) {
    if (outcome?.kind !== 'imported') say(`warning: no history for ${seriesId} (${outcome ? JSON.stringify(outcome) : 'history is off'}); it starts live only`);
  }

  let stopping: Promise<void> | null = null;
  return {
    gateway,
    exchange,
    history,
    banner: {
      url: gateway.url,
      exchangeUrl: exchange.restUrl(),
      series: DEMO_SERIES.map((s) => s.seriesId),
      historyBars: options.historyBars,
      barSeconds: options.barSeconds,
      dataDir: paths.root,
      portNote: port.note,
    },
    stop: () =>
      (stopping ??= (async () => {
        try {
          await gateway.stop();
        } finally {
          await exchange.close();
        }
      })()),
  };
}
