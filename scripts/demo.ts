/**
 * `npm run demo`: the gateway with live data and history, offline, in one command (README "Try it
 * offline"). A fake Binance generates a few series, their history is written as a freqtrade
 * datadir, and the gateway ingests both; open the printed /live URL. Ctrl-C stops it all.
 *
 *   npm run demo
 *   npm run demo -- --bar-seconds 5 --port 8001      (or DEMO_BAR_SECONDS=5 DEMO_PORT=8001)
 *
 * The pieces live in tools/demo/; this file is the terminal around them: arguments, progress,
 * banner, signals, exit codes (0 after Ctrl-C, 1 start-up failed or the stop did not finish, 2 bad
 * arguments).
 */
import { buildWeb } from './build-web.js';
import { demoBanner } from '../tools/demo/demo-banner.js';
import { DemoError } from '../tools/demo/demo-error.js';
import { DEMO_USAGE, parseDemoArgs } from '../tools/demo/demo-options.js';
import { startDemo, type RunningDemo } from '../tools/demo/run-demo.js';
import { describeError } from '../src/shared/errors.js';

/** Longest a graceful stop may take; the gateway's own default (TRADE_CANVAS_SHUTDOWN_TIMEOUT_S). */
const STOP_TIMEOUT_MS = 10_000;

const say = (line: string) => process.stdout.write(`${line}\n`);

const parsed = parseDemoArgs(process.argv.slice(2), process.env);
if (parsed.kind === 'help') {
  say(DEMO_USAGE);
  process.exit(0);
}
if (parsed.kind === 'error') {
  process.stderr.write(`demo: ${parsed.message}\n\n${DEMO_USAGE}\n`);
  process.exit(2);
}

/**
 * One Ctrl-C in a terminal under `npm run demo` arrives twice: the terminal signals the whole
 * process group, and npm forwards its copy to us too. Signals within this window of the first
 * are that same Ctrl-C; only a later one is a second press ("quit at once").
 */
const SAME_PRESS_MS = 500;

// A Ctrl-C during start-up: stop what is up once it is, instead of leaving threads behind.
let demo: RunningDemo | null = null;
let firstSignalAt: number | null = null;
const onSignal = (signal: NodeJS.Signals) => {
  const now = Date.now();
  if (firstSignalAt !== null) {
    if (now - firstSignalAt < SAME_PRESS_MS) return;
    say(`demo: ${signal} again: quitting without waiting`);
    process.exit(1);
  }
  firstSignalAt = now;
  if (demo) void stop(demo);
  else say('demo: stopping as soon as start-up is done (Ctrl-C again to quit at once)…');
};
process.on('SIGINT', onSignal);
process.on('SIGTERM', onSignal);

async function stop(running: RunningDemo): Promise<void> {
  say('\nStopping: gateway first (ingest stops, everything received is committed), then the fake Binance…');
  const timeout = setTimeout(() => {
    process.stderr.write(`demo: the stop took longer than ${STOP_TIMEOUT_MS / 1000} s; quitting\n`);
    process.exit(1);
  }, STOP_TIMEOUT_MS);
  try {
    await running.stop();
  } catch (err) {
    process.stderr.write(`demo: stop failed: ${describeError(err)}\n`);
    process.exit(1);
  }
  clearTimeout(timeout);
  say('Demo stopped. Bye!');
  process.exit(0);
}

say(`Starting the offline demo in ${parsed.options.dataDir}…`);
try {
  demo = await startDemo(parsed.options, {
    buildWeb: async (outDir) => void (await buildWeb({ outDir })),
    say: (line) => say(`  ${line}`),
  });
} catch (err) {
  process.stderr.write(`demo: ${err instanceof DemoError ? err.message : `could not start: ${describeError(err)}`}\n`);
  process.exit(1);
}
if (firstSignalAt !== null) await stop(demo);
else say(demoBanner(demo.banner));
