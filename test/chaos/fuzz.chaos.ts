import { connect } from 'node:net';
import { join } from 'node:path';
import fc from 'fast-check';
import { Agent, request } from 'undici';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ERROR_CODES } from '../../src/shared/errors.js';
import { candle, postBatch, WsClient } from '../support/gateway-harness.js';
import { GatewayProcess } from '../support/gateway-process.js';
import { errorLines, gatewayEnv, probeDir, serving } from './support/chaos-gateway.js';
import { report, sized } from './support/chaos-run.js';
import { bodyArb, candlesQueryArb, contentTypeArb, methodArb, pathArb, wsFrameArb } from './support/fuzz-inputs.js';
import { rawRequestArb } from './support/raw-requests.js';

/**
 * Probe 6: fuzzing the real gateway process with fast-check (seeded; a failure prints the seed
 * and the shrunk input). HTTP queries, paths and methods, write bodies with any content-type,
 * raw HTTP/1.1 requests over TCP, and WebSocket frames (text, binary, msgpack or not). Every
 * answer: never a 5xx, never a stack trace, error bodies carry a known stable code; every bad
 * WebSocket frame is answered with an `error` and the socket stays open; the process stays up.
 */
const RUNS = sized({ query: 1500, body: 1500, path: 500, raw: 300, ws: 300 }, { query: 200, body: 200, path: 100, raw: 60, ws: 60 });
const SEED = 20261215;
const S = 'binance:futures:BTC/USDT:1m';
/** What a stack trace looks like in text: a frame line, a source position, Node internals. */
const STACK = /\n\s+at |\bat [\w.<>$]+ \(|node:internal|\.[jt]s:\d+:\d+/;

describe('probe: fuzzing HTTP and WebSocket input', () => {
  const dir = probeDir('fuzz');
  let gw: GatewayProcess;
  const agent = new Agent({ connections: 4 });
  const tally = { answers: 0, byStatus: {} as Record<string, number>, wsFrames: 0, wsErrors: 0, rawNoAnswer: 0, rawClosed: 0 };

  beforeAll(async () => {
    gw = await GatewayProcess.start(gatewayEnv(join(dir, 'market.db'), { TRADE_CANVAS_MAX_BODY_BYTES: String(64 * 1024) }));
    await postBatch(
      gw.url,
      S,
      Array.from({ length: 50 }, (_, i) => candle((i + 1) * 60)),
    );
  });
  afterAll(async () => {
    await agent.close();
    await gw?.kill('SIGKILL');
  });

  /** The checks every HTTP answer must pass. */
  function checkAnswer(status: number, text: string, what: string): void {
    tally.answers++;
    tally.byStatus[status] = (tally.byStatus[status] ?? 0) + 1;
    if (status >= 500) throw new Error(`${what}: ${status} ${text.slice(0, 200)}`);
    if (STACK.test(text)) throw new Error(`${what}: stack trace in the answer: ${text.slice(0, 300)}`);
    if (status >= 400 && text.length > 0) {
      const body = JSON.parse(text) as { code?: string; message?: string };
      if (!(body.code! in ERROR_CODES) || typeof body.message !== 'string') throw new Error(`${what}: error body without a known code: ${text}`);
    }
  }

  async function call(method: string, path: string, body?: string, contentType?: string): Promise<void> {
    const res = await request(gw.url + path, {
      method: method as 'GET',
      body,
      headers: contentType === undefined ? {} : { 'content-type': contentType },
      dispatcher: agent,
    });
    checkAnswer(res.statusCode, await res.body.text(), `${method} ${path}`);
  }

  it('HTTP queries on /api/market/candles', async () => {
    await fc.assert(
      fc.asyncProperty(candlesQueryArb, (q) => call('GET', `/api/market/candles?${q}`)),
      { numRuns: RUNS.query, seed: SEED },
    );
  });

  it('write bodies with any content-type on every write route', async () => {
    const routes = ['/api/market/ingest/candle_closed', '/api/dev/market/ingest/candles_closed_batch', '/api/market/ingest/candle_forming'];
    await fc.assert(
      fc.asyncProperty(fc.constantFrom(...routes), bodyArb, contentTypeArb, (route, body, type) => call('POST', route, body, type)),
      { numRuns: RUNS.body, seed: SEED },
    );
  });

  it('paths and methods', async () => {
    await fc.assert(
      fc.asyncProperty(methodArb, pathArb, (method, path) => call(method, path)),
      { numRuns: RUNS.path, seed: SEED },
    );
  });

  it('raw HTTP/1.1 requests over TCP: an answer below 500 or a closed connection', async () => {
    await fc.assert(
      fc.asyncProperty(rawRequestArb, async (raw) => {
        const { answer, closed } = await sendRaw(gw.port, raw);
        if (answer.length === 0) {
          if (closed) tally.rawClosed++;
          else tally.rawNoAnswer++;
          return;
        }
        const status = Number(/^HTTP\/1\.1 (\d{3})/.exec(answer)?.[1]);
        if (!Number.isInteger(status)) throw new Error(`not an HTTP answer: ${JSON.stringify(answer.slice(0, 100))}`);
        const body = answer.slice(answer.indexOf('\r\n\r\n') + 4);
        checkAnswer(status, /^\s*[{[]/.test(body) || status >= 400 ? body : '', `raw ${JSON.stringify(raw.slice(0, 60))}`);
      }),
      { numRuns: RUNS.raw, seed: SEED },
    );
  });

  it('WebSocket frames: each bad one answered with an error, the socket stays open', async () => {
    let sentinel = 0;
    await fc.assert(
      fc.asyncProperty(fc.array(wsFrameArb, { minLength: 1, maxLength: 10 }), async (frames) => {
        const ws = await WsClient.connect(gw);
        try {
          for (const frame of frames) {
            if ('text' in frame) ws.sendRaw(frame.text);
            else ws.sendRaw(frame.binary);
            tally.wsFrames++;
            // A message with a known answer marks where this frame's answers end.
            const mark = `sentinel-${++sentinel}`;
            ws.send({ type: mark });
            const answers: any[] = [];
            while (!(answers.at(-1)?.message === `unknown message type: ${mark}`)) answers.push(...(await ws.next(1, 5000)));
            for (const m of answers.slice(0, -1)) {
              if (m.type === 'error') {
                tally.wsErrors++;
                if (!(m.code in ERROR_CODES) || m.code === 'internal') throw new Error(`error without a stable code: ${JSON.stringify(m)}`);
              }
              if (STACK.test(JSON.stringify(m))) throw new Error(`stack trace in a frame: ${JSON.stringify(m).slice(0, 300)}`);
            }
          }
          if (ws.closeEvent) throw new Error(`socket closed: ${JSON.stringify(ws.closeEvent)}`);
        } finally {
          ws.close();
        }
      }),
      { numRuns: RUNS.ws, seed: SEED },
    );
  });

  it('the process is still up and logged no error', async () => {
    const up = await serving(gw);
    const errors = errorLines(gw);
    report('fuzz', 'all inputs', {
      seed: SEED,
      http_answers: tally.answers,
      statuses: JSON.stringify(tally.byStatus),
      raw_closed_without_answer: tally.rawClosed,
      raw_no_answer_within_timeout: tally.rawNoAnswer,
      ws_frames: tally.wsFrames,
      ws_error_answers: tally.wsErrors,
      five_xx: Object.entries(tally.byStatus).filter(([s]) => Number(s) >= 500).length,
      process_up: up,
      error_log_lines: errors.length,
    });
    expect(up).toBe(true);
    expect(errors).toEqual([]);
  });
});

/** Writes `raw` on a fresh connection; collects what comes back until close or a short wait. */
function sendRaw(port: number, raw: string): Promise<{ answer: string; closed: boolean }> {
  return new Promise((resolve) => {
    const socket = connect({ host: '127.0.0.1', port });
    let answer = '';
    const done = (closed: boolean) => {
      clearTimeout(timer);
      socket.destroy();
      resolve({ answer, closed });
    };
    // An incomplete request (a Content-Length longer than the body) is waited for by any server.
    const timer = setTimeout(() => done(false), 500);
    socket.on('data', (chunk) => {
      answer += chunk.toString('latin1');
      // One answer is enough: the status line and headers, and the body its Content-Length says.
      const head = answer.indexOf('\r\n\r\n');
      const length = Number(/\r\ncontent-length: *(\d+)/i.exec(answer)?.[1] ?? NaN);
      if (head >= 0 && answer.length - head - 4 >= length) done(true);
    });
    socket.once('close', () => done(true));
    socket.once('error', () => done(true));
    socket.write(Buffer.from(raw, 'latin1'));
  });
}
