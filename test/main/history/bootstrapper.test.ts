import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { configWith } from '../../../src/main/config/load-config.js';
import type { Config } from '../../../src/main/config/settings.js';
import { CANDLE_STRIDE } from '../../../src/domain/candle.js';
import { writeDatadir } from '../../../tools/fixtures/fixture-writer.js';
import { startHistory, type History } from '../../../src/main/history/history-service.js';
import { inThreadImportRunner } from '../../../src/decode/import-task.js';
import type { CommittedMessage } from '../../../src/writer/contract.js';
import { setLogLevel } from '../../../src/shared/log.js';
import { InThreadStore } from '../../support/in-thread-store.js';
import { packed } from '../../support/candles.js';
import { writeFakeFreqtrade } from '../../support/fake-freqtrade.js';
import { captureLogs } from '../../support/log-capture.js';
import { useTempDir } from '../../support/temp-dir.js';

const S = 'binance:futures:BTC/USDT:1m';
const START = 1_700_000_040;

describe('history bootstrap', () => {
  beforeAll(() => setLogLevel('warn'));
  const tempDir = useTempDir('kline-bootstrap-');
  const open: Array<{ history: History; store: InThreadStore }> = [];
  afterEach(async () => {
    for (const { history, store } of open.splice(0)) {
      await history.close();
      await store.close();
    }
  });

  async function setup(overrides: Partial<Config> = {}, rows = 2100) {
    const dir = tempDir();
    const datadir = join(dir, 'data');
    const [file] = await writeDatadir({ out: datadir, series: [S], count: rows, startTime: START, formats: ['feather'] });
    const store = await InThreadStore.open({ dbPath: join(dir, 'market.db'), synchronous: 'FULL', rowsPerStatement: 100, maxPendingCandles: 1_000_000 });
    const config = configWith({ historySource: 'freqtrade', freqtradeDatadir: datadir, ...overrides });
    const history = startHistory(config, store, inThreadImportRunner);
    open.push({ history, store });
    const commits: CommittedMessage[] = [];
    store.onCommitted((msg) => commits.push(msg));
    return { dir, datadir, file: file!, store, history, bootstrapper: history.bootstrapper, commits };
  }

  it('imports the file tail once for a series with too few candles; concurrent and later ensures share that run', async () => {
    const { store, bootstrapper, commits, file } = await setup();
    const lastTimes: Array<[string, number]> = [];
    bootstrapper.onBootstrapped((id, t) => lastTimes.push([id, t]));
    const [a, b] = await Promise.all([bootstrapper.ensure(S), bootstrapper.ensure(S)]);
    expect(a).toEqual({ kind: 'imported', path: file.path, rows: 2000, lastTime: file.candles[file.candles.length - CANDLE_STRIDE] });
    expect(b).toBe(a);
    expect(await store.count(S)).toBe(2000);
    expect(commits.every((c) => c.segments.every((s) => !s.publish))).toBe(true);
    expect(lastTimes).toEqual([[S, a.kind === 'imported' ? a.lastTime : -1]]);

    const commitsBefore = commits.length;
    expect(await bootstrapper.ensure(S)).toBe(a);
    expect(bootstrapper.beforeRead(S)).toBeUndefined(); // settled: reads do not even await
    expect(commits.length).toBe(commitsBefore);
  });

  it('leaves a series alone that already has the limit stored', async () => {
    const { store, bootstrapper } = await setup({ freqtradeBootstrapLimit: 5 });
    await store.write([{ seriesId: S, data: packed([60, 120, 180, 240, 300]) }], { publish: true });
    expect(await bootstrapper.ensure(S)).toEqual({ kind: 'enough', stored: 5 });
    expect(await store.count(S)).toBe(5);
  });

  it('imports the whole file with limit 0', async () => {
    const { store, bootstrapper } = await setup({ freqtradeBootstrapLimit: 0 });
    expect(await bootstrapper.ensure(S)).toMatchObject({ kind: 'imported', rows: 2100 });
    expect(await store.count(S)).toBe(2100);
  });

  it('answers no_file for a series without a file, and says so in the log', async () => {
    const logs = captureLogs();
    const { bootstrapper } = await setup();
    expect(await bootstrapper.ensure('binance:spot:ETH/USDT:1m')).toEqual({ kind: 'no_file' });
    expect(logs).toContainEqual(
      expect.objectContaining({
        component: 'history.bootstrap',
        msg: 'no freqtrade candle file for series; starting without history',
        series_id: 'binance:spot:ETH/USDT:1m',
      }),
    );
  });

  it('falls back to no_file when the download trigger is on but freqtrade is not installed', async () => {
    const logs = captureLogs('warn');
    const { bootstrapper } = await setup({ freqtradeDownload: true, freqtradeBin: join(tempDir(), 'missing', 'freqtrade') });
    expect(await bootstrapper.ensure('binance:spot:ETH/USDT:1m')).toEqual({ kind: 'no_file' });
    expect(logs.map((l) => l.msg)).toEqual(['freqtrade is not installed; series without a candle file start without history']);
  });

  it('reports a 0-byte file with its reason', async () => {
    const logs = captureLogs();
    const { bootstrapper, file, store } = await setup();
    writeFileSync(file.path, '');
    const outcome = await bootstrapper.ensure(S);
    expect(outcome).toMatchObject({ kind: 'failed', path: file.path, reason: { code: 'empty_file' } });
    expect(await store.count(S)).toBe(0);
    expect(logs).toContainEqual(expect.objectContaining({ level: 'warn', msg: 'freqtrade file gave no candles', code: 'empty_file', path: file.path }));
  });

  it('does not hold a read longer than the wait bound while a bootstrap is still running', async () => {
    const logs = captureLogs();
    const dir = tempDir();
    const fake = writeFakeFreqtrade(dir, { sleepS: 1.5 });
    const { bootstrapper, store } = await setup({ freqtradeDownload: true, freqtradeBin: fake.bin, freqtradeBootstrapWaitMs: 200 });
    const other = 'binance:spot:SOL/USDT:1m'; // no file yet: the download runs first
    const t0 = performance.now();
    await bootstrapper.beforeRead(other);
    const waited = performance.now() - t0;
    expect(waited).toBeGreaterThanOrEqual(150);
    expect(waited).toBeLessThan(1200);
    expect(await store.count(other)).toBe(0); // answered before the history landed
    expect(logs).toContainEqual(
      expect.objectContaining({ level: 'warn', msg: 'bootstrap still running; answering the read from what is stored', series_id: other }),
    );
    expect(await bootstrapper.ensure(other)).toMatchObject({ kind: 'imported', rows: 3 });
    expect(await store.count(other)).toBe(3);
  });
});
