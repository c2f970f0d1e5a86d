import { describe, expect, it } from 'vitest';
import { hostAllowList, hostName } from '../../../src/main/server/host-allow-list.js';

describe('Host allow-list (DNS rebinding)', () => {
  it('reads the name out of a Host header: port, brackets and case removed', () => {
    expect(['localhost:8000', 'LOCALHOST', '127.0.0.1:80', '[::1]:8000', '[::1]', 'Charts.Example.com:443'].map(hostName)).toEqual([
      'localhost',
      'localhost',
      '127.0.0.1',
      '::1',
      '::1',
      'charts.example.com',
    ]);
  });

  it('automatic on loopback: loopback names only (a rebound evil.example is refused)', () => {
    const allowed = hostAllowList('', '127.0.0.1');
    for (const ok of ['127.0.0.1:8000', 'localhost:8000', 'app.localhost', '[::1]:8000', '127.1.2.3', '']) expect(allowed(ok), ok).toBe(true);
    for (const bad of ['evil.example:8000', '10.0.0.5:8000', 'localhost.evil.example', '0.0.0.0']) expect(allowed(bad), bad).toBe(false);
  });

  it('automatic on another address: any name (the operator sets the list there)', () => {
    expect(hostAllowList('', '0.0.0.0')('charts.example.com')).toBe(true);
  });

  it('an explicit list allows exactly its names, on any port; * allows all', () => {
    const allowed = hostAllowList(' Charts.example.com , 10.0.0.5,[::1] ', '0.0.0.0');
    expect(['charts.example.com:443', '10.0.0.5:8000', '[::1]:8000'].every(allowed)).toBe(true);
    expect(['localhost:8000', 'evil.example', 'example.com'].some(allowed)).toBe(false);
    expect(hostAllowList('*', '127.0.0.1')('evil.example')).toBe(true);
  });
});
