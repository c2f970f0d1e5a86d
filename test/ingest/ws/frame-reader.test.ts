import { describe, expect, it } from 'vitest';
import { FrameReader, type FrameSink } from '../../../src/ingest/ws/frame-reader.js';
import { serverFrame } from './ws-frames.js';

type Event = [kind: string, ...rest: unknown[]];

function reader(max = 1024): { r: FrameReader; events: Event[]; views: Buffer[] } {
  const events: Event[] = [];
  const views: Buffer[] = [];
  const sink: FrameSink = {
    text: (b, s, e) => {
      views.push(b);
      events.push(['text', b.toString('utf8', s, e)]);
    },
    binary: (b, s, e) => events.push(['binary', [...b.subarray(s, e)]]),
    ping: (b, s, e) => events.push(['ping', b.toString('utf8', s, e)]),
    pong: (b, s, e) => events.push(['pong', b.toString('utf8', s, e)]),
    close: (code, reason) => events.push(['close', code, reason]),
    fail: (code, reason) => events.push(['fail', code, reason]),
  };
  return { r: new FrameReader(sink, max), events, views };
}

const TEXT = 0x1;
const BINARY = 0x2;
const CONT = 0x0;
const CLOSE = 0x8;
const PING = 0x9;
const PONG = 0xa;

describe('FrameReader (RFC 6455 framing, client side)', () => {
  it('hands on text frames that lie whole in a chunk as views of that chunk, without copying', () => {
    const { r, events, views } = reader();
    const chunk = Buffer.concat([serverFrame(TEXT, 'one'), serverFrame(TEXT, 'two'), serverFrame(BINARY, Buffer.from([1, 2]))]);
    r.push(chunk);
    expect(events).toEqual([
      ['text', 'one'],
      ['text', 'two'],
      ['binary', [1, 2]],
    ]);
    expect(views.every((v) => v === chunk)).toBe(true);
  });

  it('reads 7-, 16- and 64-bit lengths, and frames cut at every possible byte boundary', () => {
    const payloads = ['x'.repeat(125), 'y'.repeat(126), 'z'.repeat(70_000), '', 'short'];
    const stream = Buffer.concat(payloads.map((p, i) => serverFrame(TEXT, p, { length64: i === 4 })));
    for (const step of [1, 2, 3, 7, 64, 1000, stream.length]) {
      const { r, events } = reader(100_000);
      for (let at = 0; at < stream.length; at += step) r.push(stream.subarray(at, Math.min(stream.length, at + step)));
      expect(events, `step ${step}`).toEqual(payloads.map((p) => ['text', p]));
    }
  });

  it('honours the length argument of a reused read buffer', () => {
    const { r, events } = reader();
    const buffer = Buffer.alloc(64, 0xff);
    const frame = serverFrame(TEXT, 'abc');
    frame.copy(buffer);
    r.push(buffer, frame.length);
    expect(events).toEqual([['text', 'abc']]);
  });

  it('assembles a fragmented message, with control frames between its fragments', () => {
    const { r, events } = reader();
    r.push(Buffer.concat([serverFrame(TEXT, 'hel', { fin: false }), serverFrame(PING, 'p1'), serverFrame(CONT, 'lo ', { fin: false })]));
    r.push(Buffer.concat([serverFrame(PONG, 'q'), serverFrame(CONT, 'world')]));
    expect(events).toEqual([
      ['ping', 'p1'],
      ['pong', 'q'],
      ['text', 'hello world'],
    ]);
  });

  it.each<[string, Buffer, number]>([
    ['a masked server frame', serverFrame(TEXT, 'x', { mask: true }), 1002],
    ['RSV1 without an extension', serverFrame(TEXT, 'x', { rsv: 0x40 }), 1002],
    ['an unknown data opcode', serverFrame(0x3, 'x'), 1002],
    ['an unknown control opcode', serverFrame(0xb, 'x'), 1002],
    ['a fragmented control frame', serverFrame(PING, 'x', { fin: false }), 1002],
    ['a control frame over 125 bytes', serverFrame(PING, 'p'.repeat(126)), 1002],
    ['a continuation without a message', serverFrame(CONT, 'x'), 1002],
    ['a new message inside a fragmented one', Buffer.concat([serverFrame(TEXT, 'a', { fin: false }), serverFrame(TEXT, 'b')]), 1002],
    ['a close frame with a 1-byte body', serverFrame(CLOSE, Buffer.from([3])), 1002],
    ['a close code that may not be sent', serverFrame(CLOSE, Buffer.from([0x03, 0xed])), 1002],
    ['a close reason that is not UTF-8', serverFrame(CLOSE, Buffer.from([0x03, 0xe8, 0xc3, 0x28])), 1007],
  ])('fails the connection on %s', (_name, bytes, code) => {
    const { r, events } = reader();
    r.push(Buffer.concat([bytes, serverFrame(TEXT, 'after')]));
    expect(events).toHaveLength(1);
    expect(events[0]).toEqual(['fail', code, expect.any(String)]);
  });

  it('refuses a message over the bound from its header, before its bytes arrive (1009)', () => {
    const { r, events } = reader(1000);
    const big = serverFrame(TEXT, 'b'.repeat(1001));
    r.push(big.subarray(0, 4));
    expect(events).toEqual([['fail', 1009, expect.stringContaining('1000')]]);
  });

  it('counts fragments toward the bound, and 64-bit lengths with high bits set are refused', () => {
    const frag = reader(1000);
    frag.r.push(Buffer.concat([serverFrame(TEXT, 'a'.repeat(600), { fin: false }), serverFrame(CONT, 'b'.repeat(600))]));
    expect(frag.events).toEqual([['fail', 1009, expect.any(String)]]);
    const huge = reader();
    const header = Buffer.from([0x81, 127, 0, 0, 0, 1, 0, 0, 0, 0]);
    huge.r.push(header);
    expect(huge.events).toEqual([['fail', 1009, expect.any(String)]]);
  });

  it('reads close frames (code and reason; none = 1005) and nothing after them', () => {
    const a = reader();
    const body = Buffer.concat([Buffer.from([0x03, 0xe9]), Buffer.from('going away')]);
    a.r.push(Buffer.concat([serverFrame(CLOSE, body), serverFrame(TEXT, 'ignored')]));
    expect(a.events).toEqual([['close', 1001, 'going away']]);
    const b = reader();
    b.r.push(serverFrame(CLOSE, ''));
    expect(b.events).toEqual([['close', 1005, '']]);
  });

  it('stops reading once stopped (the client is closing)', () => {
    const { r, events } = reader();
    r.push(serverFrame(TEXT, 'a'));
    r.stop();
    r.push(serverFrame(TEXT, 'b'));
    expect(events).toEqual([['text', 'a']]);
  });
});
