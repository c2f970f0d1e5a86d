/**
 * A database URL as it may appear in logs and error messages: the password replaced by `***`
 * (`postgres://gw:***@db:5432/market`). Text that is not a URL is returned as it is.
 */
export function redactUrl(url: string): string {
  try {
    const parsed = new URL(url);
    if (parsed.password === '') return url;
    parsed.password = '***';
    return parsed.toString();
  } catch {
    return url;
  }
}
