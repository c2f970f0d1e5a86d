import { describeError } from './errors.js';

/**
 * Operating-system errors as an operator reads them: `EROFS (read-only file system)`. Storage
 * failures name the errno (EACCES, EROFS, ENOSPC, EISDIR) and the file (issue 15, defect 1).
 */
const DESCRIPTIONS: Record<string, string> = {
  EACCES: 'permission denied',
  EPERM: 'operation not permitted',
  EROFS: 'read-only file system',
  ENOSPC: 'no space left on device',
  EDQUOT: 'disk quota exceeded',
  EISDIR: 'is a directory',
  ENOENT: 'no such file or directory',
  ENOTDIR: 'not a directory',
  EIO: 'input/output error',
};

/** `CODE (description)` of an errno error, or its message when it has no code. */
export function errnoText(err: unknown): string {
  const code = (err as { code?: unknown } | null)?.code;
  return typeof code === 'string' && /^E[A-Z]+$/.test(code) ? `${code} (${DESCRIPTIONS[code] ?? describeError(err)})` : describeError(err);
}
