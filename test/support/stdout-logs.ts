/**
 * Captures the JSON log lines written to this process's stdout — the main thread's and, because
 * Node pipes a worker thread's stdout into the parent's, those of the ingest and writer workers
 * too — while still printing them. For tests that check what an operator would read.
 */
export function captureStdoutLogs(): { readonly lines: Array<Record<string, any>>; restore(): void } {
  const lines: Array<Record<string, any>> = [];
  const original = process.stdout.write;
  let pending = '';
  process.stdout.write = function (this: NodeJS.WriteStream, chunk: unknown, ...rest: unknown[]): boolean {
    pending += typeof chunk === 'string' ? chunk : Buffer.from(chunk as Uint8Array).toString();
    let nl: number;
    while ((nl = pending.indexOf('\n')) >= 0) {
      const line = pending.slice(0, nl);
      pending = pending.slice(nl + 1);
      try {
        lines.push(JSON.parse(line));
      } catch {
        /* not a log line */
      }
    }
    return (original as (...a: unknown[]) => boolean).call(this, chunk, ...rest);
  } as typeof process.stdout.write;
  return { lines, restore: () => void (process.stdout.write = original) };
}
