import { describe, expect, it } from 'vitest';
import { createProgress } from '../../src/cli/progress.js';

function sink() {
  const writes: string[] = [];
  return { writes, out: { write: (t: string) => writes.push(t) } };
}

describe('import progress display', () => {
  it('redraws one bar line on a terminal, at most 10 times a second, and clears it at the end', () => {
    let now = 0;
    const { writes, out } = sink();
    const progress = createProgress(out, true, () => now);
    progress.start('binance:spot:BTC/USDT:1m (BTC_USDT-1m.feather)');
    now = 500;
    progress.update({ rowsRead: 600_000, rowsWritten: 500_000, fraction: 0.5 });
    now = 550; // too soon: skipped
    progress.update({ rowsRead: 600_000, rowsWritten: 550_000, fraction: 0.55 });
    now = 1000;
    progress.update({ rowsRead: 1_000_000, rowsWritten: 1_000_000, fraction: 1 });
    progress.stop();
    expect(writes).toEqual([
      '\r\x1b[2Kbinance:spot:BTC/USDT:1m (BTC_USDT-1m.feather) [############------------]  50%  500,000 rows  1,000,000 rows/s',
      '\r\x1b[2Kbinance:spot:BTC/USDT:1m (BTC_USDT-1m.feather) [########################] 100%  1,000,000 rows  1,000,000 rows/s',
      '\r\x1b[2K',
    ]);
  });

  it('writes plain lines every two seconds elsewhere, and nothing for a quick file', () => {
    let now = 0;
    const { writes, out } = sink();
    const progress = createProgress(out, false, () => now);
    progress.start('quick');
    now = 1500;
    progress.update({ rowsRead: 10, rowsWritten: 10, fraction: 1 });
    progress.stop();
    expect(writes).toEqual([]);
    progress.start('slow');
    now = 3600;
    progress.update({ rowsRead: 300_000, rowsWritten: 250_000, fraction: 0.25 });
    now = 4000;
    progress.update({ rowsRead: 400_000, rowsWritten: 300_000, fraction: 0.3 });
    progress.stop();
    expect(writes).toEqual(['progress slow 25%  250,000 rows  119,048 rows/s\n']);
  });
});
