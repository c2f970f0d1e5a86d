import { cpus, totalmem } from 'node:os';

/** Common benchmark options: `--quick` is the CI smoke mode (seconds, checks numbers appear). */
export interface BenchArgs {
  readonly quick: boolean;
  readonly json: boolean;
  readonly args: readonly string[];
}

export function benchArgs(argv = process.argv.slice(2)): BenchArgs {
  return { quick: argv.includes('--quick'), json: argv.includes('--json'), args: argv };
}

/** A numeric `--name=value` option. */
export function numberOption(args: readonly string[], name: string, fallback: number): number {
  const hit = args.find((a) => a.startsWith(`--${name}=`));
  if (!hit) return fallback;
  const n = Number(hit.slice(name.length + 3));
  if (!Number.isFinite(n)) throw new Error(`--${name} must be a number`);
  return n;
}

export function machine(): string {
  const cpu = cpus();
  return `${cpu.length} × ${cpu[0]?.model.trim() ?? 'cpu'}, ${(totalmem() / 2 ** 30).toFixed(0)} GiB, Node ${process.version}, ${process.platform}-${process.arch}`;
}
