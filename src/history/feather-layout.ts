import { CompressionType, Message, MessageHeader, MetadataVersion, RecordBatchReader, type Schema } from 'apache-arrow';

/**
 * The physical layout of a feather (Arrow IPC) file: what a compatibility check compares between
 * our writer's output and the files pandas writes for freqtrade. Used by tests and by
 * `scripts/gen-datadir.ts --inspect`.
 */
export interface FeatherLayout {
  readonly fields: readonly { name: string; type: string; nullable: boolean }[];
  readonly schemaMetadataKeys: readonly string[];
  /** Footer metadata version name (`V5` for any current writer). */
  readonly footerVersion: string;
  readonly batches: readonly BatchLayout[];
}

export interface BatchLayout {
  /** File offset of the batch's message and of its body (what the footer block says). */
  readonly offset: number;
  readonly bodyStart: number;
  readonly rows: number;
  readonly bodyLength: number;
  /** `LZ4_FRAME`, `ZSTD` or `none`. */
  readonly compression: string;
  readonly nullCounts: readonly number[];
  readonly buffers: readonly BufferLayout[];
}

export interface BufferLayout {
  /** Offset from the body start. */
  readonly offset: number;
  readonly length: number;
  /** Compressed buffers only: the int64 length prefix (-1 = stored uncompressed). */
  readonly lengthPrefix?: number;
  /** Compressed buffers only: the LZ4 frame's FLG and BD bytes. */
  readonly frameDescriptor?: readonly [number, number];
}

/** Reads the layout; throws on anything that is not an Arrow IPC file. */
export function featherLayout(file: Uint8Array): FeatherLayout {
  const reader = RecordBatchReader.from(file);
  reader.open();
  if (!reader.isFile()) throw new Error('not an Arrow IPC file');
  const schema: Schema = reader.schema;
  const footerVersion = reader.footer ? MetadataVersion[reader.footer.version] : undefined;
  const batches: BatchLayout[] = [];
  // Walk the footer's blocks, as a random-access reader does, rather than the message stream.
  for (const block of reader.footer?.recordBatches() ?? []) {
    // A block starts with the 0xFFFFFFFF continuation and the int32 metadata length.
    const message = Message.decode(file.subarray(block.offset + 8, block.offset + block.metaDataLength));
    if (message.headerType !== MessageHeader.RecordBatch) throw new Error(`footer block at ${block.offset} is not a record batch`);
    const bodyStart = block.offset + block.metaDataLength;
    const body = file.subarray(bodyStart, bodyStart + block.bodyLength);
    const header = message.header() as unknown as RecordBatchHeaderShape;
    const compressed = header.compression != null;
    batches.push({
      offset: block.offset,
      bodyStart,
      rows: Number(header.length),
      bodyLength: block.bodyLength,
      compression: compressed ? CompressionType[header.compression!.type] : 'none',
      nullCounts: header.nodes.map((n) => Number(n.nullCount)),
      buffers: header.buffers.map(({ offset, length }) => {
        const at = Number(offset);
        const size = Number(length);
        if (!compressed || size === 0) return { offset: at, length: size };
        const view = new DataView(body.buffer, body.byteOffset + at, size);
        return { offset: at, length: size, lengthPrefix: Number(view.getBigInt64(0, true)), frameDescriptor: [view.getUint8(12), view.getUint8(13)] as const };
      }),
    });
  }
  return {
    fields: schema.fields.map((f) => ({ name: f.name, type: String(f.type), nullable: f.nullable })),
    schemaMetadataKeys: [...schema.metadata.keys()],
    footerVersion: footerVersion ?? 'unknown',
    batches,
  };
}

interface RecordBatchHeaderShape {
  length: bigint | number;
  nodes: { length: bigint | number; nullCount: bigint | number }[];
  buffers: { offset: bigint | number; length: bigint | number }[];
  compression: { type: CompressionType } | null;
}
