import { Backoff } from '../../shared/backoff.js';
import { redactUrl } from '../../shared/db-url.js';
import { createLogger } from '../../shared/log.js';
import { connectPg, type PgConnectOptions, type PgSession } from './pg-driver.js';
import { explainPgError } from './pg-errors.js';

const log = createLogger('store.pg');

/** Reconnect delays after a lost connection (and between start-up attempts): 100 ms doubling to 5 s. */
const RECONNECT_BASE_MS = 100;
const RECONNECT_CAP_MS = 5_000;

/**
 * The writer's one PostgreSQL connection. Drains get it with `get()` (connecting first if it was
 * lost); when it dies while running — server restarted, backend terminated, network — it says so
 * at once through the status listener (the main thread's /readyz turns 503) and reconnects in
 * the background with backoff, so readiness comes back without waiting for a write. The core's
 * own retry of a failed drain keeps the batches meanwhile (nothing acknowledged is lost).
 */
export class PgWriteConnection {
  private session: PgSession | null = null;
  private connecting: Promise<PgSession> | null = null;
  private reconnectTimer: NodeJS.Timeout | null = null;
  private readonly backoff = new Backoff({ baseMs: RECONNECT_BASE_MS, capMs: RECONNECT_CAP_MS });
  private problem: string | null = null;
  private statusListener: ((problem: string | null) => void) | null = null;
  private closed = false;
  private lostCount = 0;

  /** `prepare` runs on every new session (the per-connection temp table) before it is used. */
  constructor(
    private readonly opts: PgConnectOptions,
    private readonly prepare: (session: PgSession) => Promise<void>,
  ) {}

  /** Times the connection was lost while running. */
  get losses(): number {
    return this.lostCount;
  }

  get target(): string {
    return redactUrl(this.opts.url);
  }

  onStatus(listener: (problem: string | null) => void): void {
    this.statusListener = listener;
  }

  /**
   * Start-up: connects, retrying with backoff (logged) until `waitMs` has passed; then throws the
   * last error. 0 = one attempt.
   */
  async open(waitMs: number): Promise<PgSession> {
    const deadline = performance.now() + waitMs;
    for (;;) {
      try {
        return await this.get();
      } catch (err) {
        const delay = this.backoff.next();
        if (performance.now() + delay > deadline) throw err;
        log.warn('waiting for PostgreSQL', { target: this.target, error: explainPgError(err), retry_in_ms: delay });
        await new Promise((r) => setTimeout(r, delay));
      }
    }
  }

  /** The connected session; one connection attempt when there is none (concurrent callers share it). */
  get(): Promise<PgSession> {
    if (this.session && !this.session.isLost) return Promise.resolve(this.session);
    this.connecting ??= this.connect().finally(() => (this.connecting = null));
    return this.connecting;
  }

  async close(): Promise<void> {
    this.closed = true;
    if (this.reconnectTimer) clearTimeout(this.reconnectTimer);
    await this.connecting?.catch(() => undefined);
    await this.session?.close();
    this.session = null;
  }

  private async connect(): Promise<PgSession> {
    const session = await connectPg(this.opts);
    try {
      await this.prepare(session);
    } catch (err) {
      await session.close();
      throw err;
    }
    session.onLost((err) => this.lost(session, err));
    this.session = session;
    this.backoff.reset();
    if (this.problem !== null) log.info('PostgreSQL connection restored', { target: this.target });
    this.setProblem(null);
    return session;
  }

  private lost(session: PgSession, err: Error): void {
    if (this.session !== session || this.closed) return;
    this.session = null;
    this.lostCount++;
    log.warn('PostgreSQL write connection lost; reconnecting', { target: this.target, error: explainPgError(err) });
    this.setProblem(`PostgreSQL connection lost: ${explainPgError(err)}`);
    this.scheduleReconnect();
  }

  private scheduleReconnect(): void {
    if (this.reconnectTimer || this.closed) return;
    this.reconnectTimer = setTimeout(() => {
      this.reconnectTimer = null;
      this.get().catch((err: unknown) => {
        this.setProblem(`cannot reconnect to PostgreSQL at ${this.target}: ${explainPgError(err)}`);
        this.scheduleReconnect();
      });
    }, this.backoff.next());
  }

  private setProblem(problem: string | null): void {
    if (problem === this.problem) return;
    this.problem = problem;
    this.statusListener?.(problem);
  }
}
