import type { JobSource } from '../supervisor/job-table.js';

/**
 * What the cluster's lease buckets hold, as JSON (an operator reads them with `nats kv get`):
 * owners (series → ingest node), demand (series → a node with subscribers), nodes (node → role).
 */
export interface OwnerValue {
  readonly node: string;
  readonly series_id: string;
  readonly source: JobSource;
}

export interface NodeValue {
  readonly node: string;
  readonly role: 'all' | 'ingest' | 'read';
  readonly owned: number;
  /** On-demand series it holds, and its ONDEMAND_MAX_JOBS (0 = unlimited): whether it has room. */
  readonly ondemand?: number;
  readonly max_ondemand?: number;
}

export interface DemandValue {
  readonly series_id: string;
  readonly node: string;
}

const encoder = new TextEncoder();
const decoder = new TextDecoder();

export function encodeLeaseValue(value: OwnerValue | NodeValue | DemandValue): Uint8Array {
  return encoder.encode(JSON.stringify(value));
}

/** The parsed value, or null when it is not ours to read (another version, garbage). */
export function decodeLeaseValue<T>(bytes: Uint8Array): Partial<T> | null {
  try {
    const value: unknown = JSON.parse(decoder.decode(bytes));
    return value !== null && typeof value === 'object' ? (value as Partial<T>) : null;
  } catch {
    return null;
  }
}
