/** Hand-made RFC 6455 frames for the client tests: server frames (any flags) and a client-frame decoder. */

export interface FrameOptions {
  fin?: boolean;
  /** RSV bits (0x40, 0x20, 0x10). */
  rsv?: number;
  /** Mask it (servers must not: the client fails such a frame). */
  mask?: boolean;
  /** Use the 64-bit length form even for a short payload. */
  length64?: boolean;
}

export function serverFrame(opcode: number, payload: string | Buffer, o: FrameOptions = {}): Buffer {
  const body = typeof payload === 'string' ? Buffer.from(payload) : payload;
  const n = body.length;
  let header: Buffer;
  if (o.length64 || n > 65535) {
    header = Buffer.alloc(10);
    header[1] = 127;
    header.writeUInt32BE(Math.floor(n / 2 ** 32), 2);
    header.writeUInt32BE(n >>> 0, 6);
  } else if (n > 125) {
    header = Buffer.alloc(4);
    header[1] = 126;
    header.writeUInt16BE(n, 2);
  } else {
    header = Buffer.alloc(2);
    header[1] = n;
  }
  header[0] = (o.fin === false ? 0 : 0x80) | (o.rsv ?? 0) | opcode;
  if (!o.mask) return Buffer.concat([header, body]);
  header[1]! |= 0x80;
  const key = Buffer.from([1, 2, 3, 4]);
  return Buffer.concat([header, key, Buffer.from(body.map((b, i) => b ^ key[i & 3]!))]);
}

export interface ClientFrame {
  readonly opcode: number;
  readonly masked: boolean;
  readonly payload: Buffer;
}

/** Decodes the client frames in `bytes` (unmasking them); returns them and the bytes left over. */
export function readClientFrames(bytes: Buffer): { frames: ClientFrame[]; rest: Buffer } {
  const frames: ClientFrame[] = [];
  let p = 0;
  while (bytes.length - p >= 2) {
    const opcode = bytes[p]! & 0x0f;
    const masked = (bytes[p + 1]! & 0x80) !== 0;
    let n = bytes[p + 1]! & 0x7f;
    let h = 2;
    if (n === 126) {
      if (bytes.length - p < 4) break;
      n = bytes.readUInt16BE(p + 2);
      h = 4;
    } else if (n === 127) {
      if (bytes.length - p < 10) break;
      n = Number(bytes.readBigUInt64BE(p + 2));
      h = 10;
    }
    const keyLen = masked ? 4 : 0;
    if (bytes.length - p < h + keyLen + n) break;
    const key = bytes.subarray(p + h, p + h + keyLen);
    const payload = Buffer.from(bytes.subarray(p + h + keyLen, p + h + keyLen + n));
    if (masked) for (let i = 0; i < n; i++) payload[i]! ^= key[i & 3]!;
    frames.push({ opcode, masked, payload });
    p += h + keyLen + n;
  }
  return { frames, rest: bytes.subarray(p) };
}
