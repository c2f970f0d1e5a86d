import { chmodSync, existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

export interface FakeFreqtrade {
  /** Path of the executable script. */
  readonly bin: string;
  /** One line per run: the arguments it got. */
  calls(): string[];
}

/**
 * A stand-in for the external `freqtrade` program (a shell script): logs its arguments, optionally
 * sleeps, then writes `[[ms,o,h,l,c,v],...]` for the asked pair and timeframe into `--datadir`
 * the way `freqtrade download-data --data-format-ohlcv json` names it, and exits with `exitCode`.
 */
export function writeFakeFreqtrade(dir: string, options: { sleepS?: number; exitCode?: number; candles?: number; startMs?: number } = {}): FakeFreqtrade {
  const bin = join(dir, 'freqtrade');
  const log = join(dir, 'freqtrade-calls.log');
  const candles = options.candles ?? 3;
  const start = options.startMs ?? 1_700_000_040_000;
  const rows = Array.from({ length: candles }, (_, i) => `[${start + i * 60_000},1,2,0.5,1.5,10]`).join(',');
  writeFileSync(
    bin,
    `#!/bin/sh
echo "$*" >> '${log}'
pair=''; tf=''; dir=''; mode=spot
while [ $# -gt 0 ]; do
  case "$1" in
    --pairs) pair="$2"; shift ;;
    --timeframes) tf="$2"; shift ;;
    --datadir) dir="$2"; shift ;;
    --trading-mode) mode="$2"; shift ;;
  esac
  shift
done
sleep ${options.sleepS ?? 0}
if [ ${options.exitCode ?? 0} -ne 0 ]; then echo "fake freqtrade: download of $pair failed" >&2; exit ${options.exitCode ?? 0}; fi
name=$(echo "$pair" | tr '/:' '__')
if [ "$mode" = futures ]; then mkdir -p "$dir/futures"; out="$dir/futures/$name-$tf-futures.json"; else mkdir -p "$dir"; out="$dir/$name-$tf.json"; fi
printf '[${rows}]' > "$out"
`,
  );
  chmodSync(bin, 0o755);
  return { bin, calls: () => (existsSync(log) ? readFileSync(log, 'utf8').trim().split('\n').filter(Boolean) : []) };
}
