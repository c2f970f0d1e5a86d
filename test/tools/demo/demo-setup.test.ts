import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:net';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { demoBanner } from '../../../tools/demo/demo-banner.js';
import { demoPaths, prepareDemoDir } from '../../../tools/demo/demo-dir.js';
import { DemoError } from '../../../tools/demo/demo-error.js';
import { choosePort } from '../../../tools/demo/demo-port.js';
import { acquireDbOwnership } from '../../../src/main/store/db-owner.js';
import { useTempDir } from '../../support/temp-dir.js';

describe('demo data dir', () => {
  const tmp = useTempDir('kline-demo-dir-');

  it("a re-run removes the previous run's database and generated files, and only those", async () => {
    const paths = demoPaths(join(tmp(), 'demo'));
    mkdirSync(join(paths.datadir, 'futures'), { recursive: true });
    mkdirSync(paths.web, { recursive: true });
    for (const file of [
      paths.db,
      `${paths.db}-journal`,
      `${paths.db}-wal`,
      paths.whitelist,
      join(paths.datadir, 'futures', 'x.feather'),
      join(paths.web, 'index.html'),
    ])
      writeFileSync(file, 'old');
    writeFileSync(join(paths.root, 'notes.txt'), 'mine');
    await prepareDemoDir(paths);
    for (const gone of [paths.db, `${paths.db}-journal`, `${paths.db}-wal`, paths.whitelist, paths.datadir, paths.web, `${paths.db}.owner`])
      expect(existsSync(gone), gone).toBe(false);
    expect(existsSync(join(paths.root, 'notes.txt'))).toBe(true);
  });

  it('refuses, and deletes nothing, while a running process owns the database', async () => {
    const paths = demoPaths(tmp());
    writeFileSync(paths.db, 'in use');
    const owner = await acquireDbOwnership(paths.db); // this test process: alive
    try {
      await expect(prepareDemoDir(paths)).rejects.toThrow(DemoError);
      await expect(prepareDemoDir(paths)).rejects.toThrow(/in use by another kline-gateway process[\s\S]*Is another demo running\? .*--data-dir/);
      expect(existsSync(paths.db)).toBe(true);
    } finally {
      await owner.release();
    }
  });
});

describe('demo port', () => {
  let busy: Server | undefined;
  afterEach(() => new Promise<void>((resolve) => (busy ? busy.close(() => resolve()) : resolve())));
  const occupy = () =>
    new Promise<number>((resolve) => {
      busy = createServer().listen(0, '127.0.0.1', () => resolve((busy!.address() as { port: number }).port));
    });

  it('keeps a free port, takes any free one for a busy default, and names a busy port that was asked for', async () => {
    const port = await occupy();
    expect(await choosePort('127.0.0.1', 0, true)).toEqual({ port: 0 });
    expect(await choosePort('127.0.0.1', port, false)).toEqual({ port: 0, note: `port ${port} is in use, so the demo took a free one` });
    await expect(choosePort('127.0.0.1', port, true)).rejects.toThrow(
      new DemoError(`port ${port} on 127.0.0.1 is in use. Stop what uses it, or choose another with --port N (0 = any free port).`),
    );
    await new Promise<void>((resolve) => busy!.close(() => resolve()));
    busy = undefined;
    expect(await choosePort('127.0.0.1', port, true)).toEqual({ port });
  });
});

describe('demo banner', () => {
  const info = {
    url: 'http://127.0.0.1:8000',
    exchangeUrl: 'http://127.0.0.1:41000',
    series: ['binance:futures:BTC/USDT:1m', 'binance:spot:ETH/USDT:1m', 'binance:futures:SOL/USDT:1m'],
    historyBars: 2000,
    dataDir: 'data/demo',
  };

  it('points at the chart, example series, API and WebSocket, and says how to stop', () => {
    const text = demoBanner({ ...info, barSeconds: 60 });
    expect(text).toContain('Live chart    http://127.0.0.1:8000/live\n');
    expect(text).toContain('http://127.0.0.1:8000/live?series_id=binance:spot:ETH/USDT:1m');
    expect(text).toContain('http://127.0.0.1:8000/live?series_id=binance:futures:SOL/USDT:1m');
    expect(text).toContain('ws://127.0.0.1:8000/ws/market');
    expect(text).toContain('http://127.0.0.1:8000/api/market/candles?series_id=binance:futures:BTC/USDT:1m');
    expect(text).toContain('futures BTC/USDT, SOL/USDT · spot ETH/USDT (1m)');
    expect(text).toContain('2,000 bars of history each, then live: an update every 250 ms, a new bar every minute');
    expect(text).toContain('Press Ctrl-C to stop.');
    expect(text).not.toContain('faster than yours');
    expect(text).not.toContain('Note');
  });

  it('with fast bars, says the candle times run ahead of the wall clock; shows why the port changed', () => {
    const text = demoBanner({ ...info, barSeconds: 5, portNote: 'port 8000 is in use, so the demo took a free one' });
    expect(text).toContain('a new bar every 5 s');
    expect(text).toContain("the demo's clock runs 12× faster than yours: candle times run ahead of the wall clock");
    expect(text).toContain('Note          port 8000 is in use, so the demo took a free one.');
  });
});
