import fc from 'fast-check';
import { bodyArb, methodArb, pathArb } from './fuzz-inputs.js';

/**
 * Raw HTTP/1.1 requests for the fuzz probe, written byte by byte on a TCP socket: what a client
 * library would never send. Request lines with junk methods and targets, header lines that break
 * the grammar (no colon, NUL bytes, folding, huge values), conflicting framing (two different
 * Content-Length values, Content-Length with chunked, bad chunk sizes) and bodies that do not
 * match their length. HTTP/1.0 is left out: this uWS build never answers it (docs/operations.md).
 */

const token = fc.oneof(methodArb, fc.constantFrom('GE T', 'get', 'BREW', '', 'G\x00T', 'CONNECT', 'TRACE'));

const target = fc.oneof(pathArb, fc.constantFrom('*', 'http://127.0.0.1/healthz', '//x', '/api/market/candles?series_id=%zz', '/%', ' /healthz'));

const headerLine = fc.oneof(
  fc.constantFrom(
    'Content-Type: application/json',
    'Connection: keep-alive',
    'Connection: close',
    'Transfer-Encoding: chunked',
    'Transfer-Encoding: gzip, chunked',
    'Expect: 100-continue',
    'Origin: http://evil.example',
    'Authorization: Bearer x',
    'X-No-Colon',
    ' folded: continuation',
    'Bad\x00Name: v',
    'Host:',
    ': empty-name',
  ),
  fc.string({ maxLength: 30 }).map((v) => `X-Fuzz: ${v.replace(/[\r\n]/g, '')}`),
  fc.integer({ min: 1, max: 20_000 }).map((n) => `X-Big: ${'a'.repeat(n)}`),
);

/** How the body is framed: its true length, two lengths that disagree, chunked (maybe broken), or none. */
const framing = fc.constantFrom('length', 'two-lengths', 'chunked', 'bad-chunk', 'none', 'short-length');

const structured = fc.tuple(token, target, fc.array(headerLine, { maxLength: 6 }), framing, bodyArb).map(([method, path, headers, frame, body]) => {
  const lines = [`${method} ${path} HTTP/1.1`, 'Host: 127.0.0.1', ...headers];
  const bytes = Buffer.byteLength(body, 'latin1');
  let payload = body;
  if (frame === 'length') lines.push(`Content-Length: ${bytes}`);
  else if (frame === 'two-lengths') lines.push(`Content-Length: ${bytes}`, `Content-Length: ${bytes + 7}`);
  else if (frame === 'short-length') lines.push(`Content-Length: ${Math.max(0, bytes - 3)}`);
  else if (frame === 'chunked') {
    lines.push('Transfer-Encoding: chunked');
    payload = `${bytes.toString(16)}\r\n${body}\r\n0\r\n\r\n`;
  } else if (frame === 'bad-chunk') {
    lines.push('Transfer-Encoding: chunked');
    payload = `zz\r\n${body}\r\n`;
  }
  return `${lines.join('\r\n')}\r\n\r\n${payload}`;
});

/** Structured requests mostly, and some bytes that are not a request at all. */
export const rawRequestArb: fc.Arbitrary<string> = fc.oneof(
  { weight: 4, arbitrary: structured },
  { weight: 1, arbitrary: fc.uint8Array({ minLength: 1, maxLength: 300 }).map((b) => `${Buffer.from(b).toString('latin1')}\r\n\r\n`) },
);
