import { errnoText } from '../../shared/errno.js';
import { describeError } from '../../shared/errors.js';
import { sqlState } from './pg-driver.js';

/** SQLSTATEs the store acts on (PostgreSQL documentation, Appendix A "Error Codes"). */
export const SQLSTATE = {
  uniqueViolation: '23505',
  queryCanceled: '57014',
  adminShutdown: '57P01',
  crashShutdown: '57P02',
  cannotConnectNow: '57P03',
} as const;

/** A failure that a new connection or a second try may not see again (retried, not reported as bad data). */
export function isTransientPgError(err: unknown): boolean {
  const state = sqlState(err);
  if (state) return state.startsWith('08') || state === SQLSTATE.queryCanceled || state.startsWith('57P');
  const code = (err as { code?: unknown } | null)?.code;
  if (typeof code === 'string' && /^E[A-Z]+$/.test(code)) return true; // ECONNREFUSED, ECONNRESET, EPIPE…
  return /Connection terminated|connection to PostgreSQL ended|Query read timeout|timeout expired/i.test(describeError(err));
}

/**
 * A PostgreSQL failure in an operator's words: the server's message with its SQLSTATE, the errno
 * of a refused or reset connection, and what a statement timeout means here.
 */
export function explainPgError(err: unknown): string {
  const state = sqlState(err);
  if (state === SQLSTATE.queryCanceled) return `statement timeout (TRADE_CANVAS_PG_STATEMENT_TIMEOUT_MS): ${describeError(err)} (SQLSTATE ${state})`;
  if (state) return `${describeError(err)} (SQLSTATE ${state})`;
  const errors = (err as { errors?: unknown } | null)?.errors;
  // A host name with several addresses fails with an AggregateError of one error per address.
  if (Array.isArray(errors) && errors.length > 0) return errors.map((e) => errnoText(e)).join('; ');
  return errnoText(err);
}
