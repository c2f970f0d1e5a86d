import { klineRow } from '../../tools/fake-binance/fake-rest.js';
import { intervalOf } from '../../tools/fake-binance/intervals.js';
import { KlineGenerator, type Bar } from '../../tools/fake-binance/kline-generator.js';
import { scanKlineRows } from '../../src/domain/binance-rest-scan.js';
const NOW = Date.UTC(2026, 10, 22, 13, 37, 12);
const g = new KlineGenerator({ seed: 11, originMs: NOW, historyDays: 60 });
const f = (x: number) => x.toFixed(8);
const binanceRow = (b: Bar) => {
  const q = +b.v * +b.c;
  return [b.t, f(+b.o), f(+b.h), f(+b.l), f(+b.c), f(+b.v), b.T, f(q), b.n, f(+b.v * 0.48), f(q * 0.48), '0'];
};
const pages = ['BTCUSDT', 'ETHUSDT', 'ETHBTC', 'DOGEUSDT'].map((s) => g.klines(s, intervalOf('15m')!, { limit: 1000, now: NOW }));
const fake = pages.map((p) => Buffer.from(JSON.stringify(p.map(klineRow))).toString());
const bin = pages.map((p) => Buffer.from(JSON.stringify(p.map(binanceRow))).toString());
const t = (name: string, texts: string[], fn: (s: string) => unknown) => {
  let best = Infinity;
  for (let r = 0; r < 7; r++) {
    const s = performance.now();
    for (let i = 0; i < 300; i++) fn(texts[i % texts.length]!);
    best = Math.min(best, (performance.now() - s) / 300);
  }
  console.log(name.padEnd(30), best.toFixed(3));
};
for (let k = 0; k < 2; k++) {
  t('bin scan', bin, (s) => scanKlineRows(s, NOW));
  t('fake scan', fake, (s) => scanKlineRows(s, NOW));
}
