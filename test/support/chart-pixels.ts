/// <reference lib="dom" />
// The measuring function runs in the browser (page.evaluate), hence the DOM library.
import type { Page } from 'playwright-core';

/** The candle colours of web/view/chart-view.ts (UP #26a69a, DOWN #ef5350), as RGB. */
export const CANDLE_COLORS = { up: [38, 166, 154], down: [239, 83, 80] } as const;

export interface CandleInk {
  /** Pixel columns of the candle pane holding a vertical run of at least `minRun` up-coloured pixels. */
  upColumns: number;
  downColumns: number;
  /** How many canvases were read (a sanity check: lightweight-charts draws on several). */
  canvases: number;
}

/**
 * Reads the pixels of the chart's candle pane and counts the columns where a candle is drawn: a
 * vertical run of pixels in a candle colour (bodies and wicks are vertical; the dotted last-price
 * line in the same colour is horizontal, the volume bars are translucent and so of another colour).
 * A blank chart, or one showing only grid and axes, measures zero.
 *
 * The pane canvases are the ones wider than half the chart (the price axis and its last-price
 * label, also up-coloured, live in a narrow canvas of their own).
 */
export function measureCandleInk(page: Page, minRun = 6, tolerance = 12): Promise<CandleInk> {
  return page.evaluate(
    ({ colors, minRun, tolerance }) => {
      const chart = document.querySelector<HTMLElement>('[data-testid="chart-view"]')!;
      const canvases = [...chart.querySelectorAll('canvas')].filter((c) => c.width > chart.clientWidth / 2);
      const near = (data: Uint8ClampedArray, i: number, rgb: readonly number[]) =>
        data[i + 3]! > 200 &&
        Math.abs(data[i]! - rgb[0]!) <= tolerance &&
        Math.abs(data[i + 1]! - rgb[1]!) <= tolerance &&
        Math.abs(data[i + 2]! - rgb[2]!) <= tolerance;
      const ink = { upColumns: 0, downColumns: 0, canvases: canvases.length };
      for (const canvas of canvases) {
        const context = canvas.getContext('2d');
        if (!context || canvas.width === 0 || canvas.height === 0) continue;
        const { data, width, height } = context.getImageData(0, 0, canvas.width, canvas.height);
        for (let x = 0; x < width; x++) {
          let up = 0;
          let down = 0;
          let upColumn = false;
          let downColumn = false;
          for (let y = 0; y < height; y++) {
            const i = (y * width + x) * 4;
            up = near(data, i, colors.up) ? up + 1 : 0;
            down = near(data, i, colors.down) ? down + 1 : 0;
            if (up >= minRun) upColumn = true;
            if (down >= minRun) downColumn = true;
          }
          if (upColumn) ink.upColumns++;
          if (downColumn) ink.downColumns++;
        }
      }
      return ink;
    },
    { colors: CANDLE_COLORS, minRun, tolerance },
  );
}
