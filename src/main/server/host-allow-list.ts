/**
 * Which `Host` headers the gateway answers (DNS rebinding, issue 15): a page on evil.example whose
 * name a rebinding DNS server points at 127.0.0.1 reaches a loopback gateway with the browser's
 * full trust, same-origin as far as the browser can tell — except that its requests carry
 * `Host: evil.example`. Refusing names the operator never gave stops that, for HTTP and for
 * WebSocket upgrades alike.
 *
 * TRADE_CANVAS_ALLOWED_HOSTS: comma-separated host names or IP literals (ports ignored), `*` for
 * any. Empty (the default) = automatic: a gateway bound to a loopback address answers only
 * loopback names (localhost, *.localhost, 127.x.x.x, [::1]); bound elsewhere (0.0.0.0, a LAN IP)
 * it cannot know its public names, so it answers any (set the list there, and a token).
 * A request without a Host header (HTTP/1.1 requires one; some tools omit it) is answered.
 */
export type HostCheck = (hostHeader: string) => boolean;

const ANY: HostCheck = () => true;

export function hostAllowList(setting: string, bindHost: string): HostCheck {
  const names = setting
    .split(',')
    .map((n) => n.trim().toLowerCase())
    .filter(Boolean);
  if (names.includes('*')) return ANY;
  if (names.length === 0) return isLoopbackName(bindHost) ? (h) => h === '' || isLoopbackName(hostName(h)) : ANY;
  const allowed = new Set(names.map((n) => n.replace(/^\[|\]$/g, '')));
  return (h) => h === '' || allowed.has(hostName(h));
}

/** The name part of a Host header: lower case, port and IPv6 brackets removed. */
export function hostName(header: string): string {
  const h = header.trim().toLowerCase();
  if (h.startsWith('[')) return h.slice(1, h.indexOf(']') > 0 ? h.indexOf(']') : undefined);
  const colon = h.lastIndexOf(':');
  return colon >= 0 && h.indexOf(':') === colon ? h.slice(0, colon) : h;
}

export function isLoopbackName(host: string): boolean {
  const h = host
    .trim()
    .toLowerCase()
    .replace(/^\[|\]$/g, '');
  return h === 'localhost' || h.endsWith('.localhost') || h === '::1' || /^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(h) || h === '::ffff:127.0.0.1';
}
