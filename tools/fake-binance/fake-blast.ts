import type { FakeConnection } from './fake-connection.js';

/**
 * Load-test replays: frames are encoded for each connection ahead of time (untimed) into ~1 MiB
 * chunks of ready WebSocket frames, then written as fast as each client reads, so the replay
 * measures the gateway's intake rather than the fake's encoding (bench/ingest.ts).
 */
export interface PreparedBlast {
  readonly perConnection: ReadonlyArray<{ readonly conn: FakeConnection; readonly chunks: readonly Buffer[] }>;
}

const BLAST_CHUNK_BYTES = 1024 * 1024;

export function prepareBlast(connections: readonly FakeConnection[], frames: ReadonlyArray<{ stream: string; data: string }>): PreparedBlast {
  const perConnection: Array<{ conn: FakeConnection; chunks: Buffer[] }> = [];
  for (const conn of connections) {
    const chunks: Buffer[] = [];
    let parts: Buffer[] = [];
    let bytes = 0;
    let count = 0;
    for (const f of frames) {
      const frame = conn.encode(f.stream, f.data);
      if (!frame) continue;
      parts.push(frame);
      bytes += frame.length;
      count++;
      if (bytes >= BLAST_CHUNK_BYTES) {
        chunks.push(Buffer.concat(parts, bytes));
        parts = [];
        bytes = 0;
      }
    }
    if (bytes > 0) chunks.push(Buffer.concat(parts, bytes));
    conn.countSent(count);
    perConnection.push({ conn, chunks });
  }
  return { perConnection };
}

/** Resolves once every chunk is handed to its socket (waiting for 'drain' when a buffer is full). */
export async function sendBlast(blast: PreparedBlast): Promise<void> {
  await Promise.all(
    blast.perConnection.map(async ({ conn, chunks }) => {
      for (const chunk of chunks) {
        if (conn.peer.writeEncoded(chunk)) continue;
        const socket = conn.peer.socket;
        if (socket.destroyed) return;
        await new Promise<void>((resolve) => {
          const done = () => {
            socket.off('drain', done).off('close', done);
            resolve();
          };
          socket.on('drain', done).on('close', done);
        });
      }
    }),
  );
}
