/**
 * Choosing the ingest WebSocket client by measurement (issue 16 item 2): each candidate, in its
 * own process on one thread, receives and parses the same pre-encoded kline frames the ingest
 * benchmark replays (1,000 futures series over 5 combined-stream connections, from the fake
 * exchange over loopback). Rounds interleave the candidates so drift on a shared machine hits all
 * alike; the best round counts. Prints frames/s and event-loop busy µs per frame.
 *
 *   npm run bench:ws-client [-- --quick] [--series=1000] [--bars=300] [--rounds=3] [--clients=lean,ws]
 *
 * Candidates: undici's WebSocket + the string parser (what ingest used before), `ws` + string
 * parser, `ws` + byte scanner on its Buffer, our client (src/ingest/ws/) + string parser, and our
 * client + byte scanner on the socket's buffer (what ingest uses).
 */
import { fork } from 'node:child_process';
import { loadavg } from 'node:os';
import { benchArgs, numberOption } from './lib/bench-args.js';
import { ask, measureCeiling, type CeilingResult } from './lib/ceiling.js';
import { CLIENTS, type ClientKind } from './lib/ceiling-client.js';
import { report, type Row } from './lib/report.js';

const { quick, args } = benchArgs();
const SERIES = numberOption(args, 'series', quick ? 200 : 1000);
const BARS = numberOption(args, 'bars', quick ? 10 : 300);
const ROUNDS = numberOption(args, 'rounds', quick ? 1 : 3);
const chosen = args.find((a) => a.startsWith('--clients='))?.slice('--clients='.length);
const clients = (chosen ? chosen.split(',') : [...CLIENTS]) as ClientKind[];

const exchange = fork(new URL('./lib/replay-exchange.ts', import.meta.url).pathname, [], { execArgv: ['--import', 'tsx'] });
try {
  const { port } = await ask<{ port: number }>(exchange, { cmd: 'start' });
  const wsBase = `ws://127.0.0.1:${port}/market`;
  const best = new Map<ClientKind, CeilingResult>();
  const loads: number[] = [];
  for (let round = 0; round < ROUNDS; round++) {
    for (const client of clients) {
      loads.push(loadavg()[0]!);
      const r = await measureCeiling(exchange, wsBase, SERIES, BARS, client);
      console.error(
        `  round ${round + 1} ${client.padEnd(11)} ${Math.round(r.framesPerSecond).toLocaleString('en-US').padStart(10)} frames/s  ${r.busyUsPerFrame.toFixed(2)} µs/frame busy`,
      );
      const prev = best.get(client);
      if (!prev || r.framesPerSecond > prev.framesPerSecond) best.set(client, r);
    }
  }
  const base = best.get('undici') ?? best.get(clients[0]!)!;
  const rows: Row[] = clients.map((c) => {
    const r = best.get(c)!;
    return {
      client: c,
      'frames/s (best)': Math.round(r.framesPerSecond),
      'busy µs/frame': r.busyUsPerFrame,
      [`vs ${base.client}`]: r.framesPerSecond / base.framesPerSecond,
    };
  });
  report(
    'ws-client',
    `WebSocket client + kline parser, one thread: ${SERIES} series × ${BARS} bars (${SERIES * (2 * BARS + 1)} frames), best of ${ROUNDS}`,
    rows,
    [`1-minute load average during the rounds: ${Math.min(...loads).toFixed(2)}–${Math.max(...loads).toFixed(2)}`],
  );
} finally {
  exchange.send({ cmd: 'close' });
}
