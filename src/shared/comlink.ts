/**
 * comlink for Node worker_threads, in one place: the package ships UMD/CJS as `main` and an ESM
 * build plus a Node endpoint adapter under dist/; this module hides the import paths.
 */
import { createRequire } from 'node:module';
import type { MessagePort, Worker } from 'node:worker_threads';
import type * as ComlinkTypes from 'comlink';
import { fromWire, isGatewayError, toWire, type WireError } from './errors.js';

const require = createRequire(import.meta.url);
const comlink = require('comlink') as typeof ComlinkTypes;
const nodeEndpoint = (require('comlink/dist/umd/node-adapter.js') as { default?: unknown }).default ?? require('comlink/dist/umd/node-adapter.js');

export type Remote<T> = ComlinkTypes.Remote<T>;

// comlink sends a thrown Error as its message, name and stack only: a GatewayError's code (a read
// the writer answered `unavailable` because PostgreSQL is down) would arrive as a bare Error and
// become a 500. Errors crossing threads carry their code (architecture.md): every thread loads
// this module, so both ends use this handler.
type Thrown = { value: unknown };
type SerializedThrow = { isError: boolean; value: unknown; wire?: WireError };
const plainThrow = comlink.transferHandlers.get('throw') as ComlinkTypes.TransferHandler<Thrown, SerializedThrow>;
comlink.transferHandlers.set('throw', {
  canHandle: (value: unknown): value is Thrown => plainThrow.canHandle(value),
  serialize(thrown: Thrown) {
    const [serialized, transferables] = plainThrow.serialize(thrown);
    return [isGatewayError(thrown.value) ? { ...serialized, wire: toWire(thrown.value) } : serialized, transferables];
  },
  deserialize(serialized: SerializedThrow) {
    if (serialized.wire) throw fromWire(serialized.wire);
    return plainThrow.deserialize(serialized);
  },
} satisfies ComlinkTypes.TransferHandler<Thrown, SerializedThrow>);

type NodePort =
  | MessagePort
  | Worker
  | { postMessage(m: unknown, t?: unknown[]): void; on(e: string, l: (...a: unknown[]) => void): void; off(e: string, l: (...a: unknown[]) => void): void };

export function endpoint(port: NodePort): ComlinkTypes.Endpoint {
  return (nodeEndpoint as (p: NodePort) => ComlinkTypes.Endpoint)(port);
}

export function expose(api: object, port: NodePort): void {
  comlink.expose(api, endpoint(port));
}

export function wrap<T>(port: NodePort): ComlinkTypes.Remote<T> {
  return comlink.wrap<T>(endpoint(port));
}

export const transfer = comlink.transfer;
export const releaseProxy = comlink.releaseProxy;
