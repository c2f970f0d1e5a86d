import { badRequest } from '../../../shared/errors.js';

/**
 * Query-string parsing shared by the routes: every bad value is a 400 `bad_request` naming the
 * parameter (`invalid <name>`, `missing <name>`), never a 500 (contract §2).
 */

export function required(value: unknown, name: string): unknown {
  if (value === undefined || value === null || value === '') throw badRequest(`missing ${name}`);
  return value;
}

export function optionalInt(raw: string | null, name: string, min: number, max: number): number | null {
  if (raw === null || raw === '') return null;
  if (!/^-?\d+$/.test(raw)) throw badRequest(`invalid ${name}`);
  const n = Number(raw);
  if (!Number.isSafeInteger(n) || n < min || n > max) throw badRequest(`invalid ${name}`);
  return n;
}

export function optionalNumber(raw: string | null, name: string, min: number, max: number): number | null {
  if (raw === null || raw === '') return null;
  const n = /^-?(\d+\.?\d*|\.\d+)$/.test(raw.trim()) ? Number(raw) : NaN;
  if (!Number.isFinite(n) || n < min || n > max) throw badRequest(`invalid ${name}`);
  return n;
}

const TRUE_WORDS = new Set(['1', 'true', 'yes', 'on']);
const FALSE_WORDS = new Set(['0', 'false', 'no', 'off']);

/** trade_canvas (FastAPI) booleans: 1/true/yes/on, 0/false/no/off, any case. */
export function optionalBool(raw: string | null, name: string): boolean | null {
  if (raw === null || raw === '') return null;
  const word = raw.trim().toLowerCase();
  if (TRUE_WORDS.has(word)) return true;
  if (FALSE_WORDS.has(word)) return false;
  throw badRequest(`invalid ${name}`);
}
