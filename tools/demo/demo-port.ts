import { createServer } from 'node:net';
import { DemoError } from './demo-error.js';

export interface PortChoice {
  /** Port to give the gateway (0: it picks a free one). */
  readonly port: number;
  /** Why it is not the one asked for, for the banner. */
  readonly note?: string;
}

/**
 * The default port may be taken (a gateway already on 8000): the demo then takes any free port
 * and says so. A port the user asked for is never swapped silently: that is an error naming it.
 * The probe binds and releases at once; the gateway's own bind right after still reports a race.
 */
export async function choosePort(host: string, port: number, explicit: boolean): Promise<PortChoice> {
  if (port === 0) return { port };
  const problem = await bindProblem(host, port);
  if (problem === null) return { port };
  const why = problem === 'EADDRINUSE' ? 'is in use' : `cannot be used (${problem})`;
  if (explicit) throw new DemoError(`port ${port} on ${host} ${why}. Stop what uses it, or choose another with --port N (0 = any free port).`);
  return { port: 0, note: `port ${port} ${why}, so the demo took a free one` };
}

/** null when `host:port` can be bound exclusively now, else the error code (EADDRINUSE, EACCES, …). */
function bindProblem(host: string, port: number): Promise<string | null> {
  return new Promise((resolve) => {
    const server = createServer();
    server.once('error', (err: NodeJS.ErrnoException) => resolve(err.code ?? err.message));
    server.listen({ host, port, exclusive: true }, () => server.close(() => resolve(null)));
  });
}
