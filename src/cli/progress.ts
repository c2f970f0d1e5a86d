import type { ImportProgress } from '../decode/contract.js';

/** Shows how far the current file's import is; summary lines are printed by the caller. */
export interface ProgressDisplay {
  start(label: string): void;
  update(progress: ImportProgress): void;
  /** Clears what `update` drew, so the caller's next line starts clean. */
  stop(): void;
}

/** A terminal redraws cheaply, but 10 frames a second is all a person reads. */
const TTY_FRAME_MS = 100;
/** Logs and CI output get a line this often, so a long import is visibly alive but not noisy. */
const PLAIN_LINE_MS = 2000;
const BAR_WIDTH = 24;

interface Output {
  write(text: string): unknown;
}

/**
 * On a terminal: one redrawn line `label [#####-----]  52%  520,000 rows  610,000 rows/s`.
 * Elsewhere: a plain line every couple of seconds, nothing for files that import faster.
 */
export function createProgress(out: Output, tty: boolean, now: () => number = () => performance.now()): ProgressDisplay {
  let label = '';
  let started = 0;
  let lastDrawn = -Infinity;
  let drawn = false;

  const describe = (p: ImportProgress): { percent: string; text: string } => {
    const percent = `${Math.floor(p.fraction * 100)}%`.padStart(4);
    const seconds = (now() - started) / 1000;
    const rate = seconds > 0 ? Math.round(p.rowsWritten / seconds) : 0;
    return { percent, text: `${p.rowsWritten.toLocaleString('en-US')} rows  ${rate.toLocaleString('en-US')} rows/s` };
  };

  return {
    start(next) {
      label = next;
      started = now();
      lastDrawn = tty ? -Infinity : started;
    },
    update(p) {
      const t = now();
      if (t - lastDrawn < (tty ? TTY_FRAME_MS : PLAIN_LINE_MS)) return;
      lastDrawn = t;
      const { percent, text } = describe(p);
      if (tty) {
        const filled = Math.round(Math.min(1, Math.max(0, p.fraction)) * BAR_WIDTH);
        out.write(`\r\x1b[2K${label} [${'#'.repeat(filled)}${'-'.repeat(BAR_WIDTH - filled)}] ${percent}  ${text}`);
        drawn = true;
      } else {
        out.write(`progress ${label} ${percent.trim()}  ${text}\n`);
      }
    },
    stop() {
      if (drawn) out.write('\r\x1b[2K');
      drawn = false;
    },
  };
}
