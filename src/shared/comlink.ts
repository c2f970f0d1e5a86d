/**
 * comlink for Node worker_threads, in one place: the package ships UMD/CJS as `main` and an ESM
 * build plus a Node endpoint adapter under dist/; this module hides the import paths.
 */
import { createRequire } from 'node:module';
import type { MessagePort, Worker } from 'node:worker_threads';
import type * as ComlinkTypes from 'comlink';

const require = createRequire(import.meta.url);
const comlink = require('comlink') as typeof ComlinkTypes;
const nodeEndpoint = (require('comlink/dist/umd/node-adapter.js') as { default?: unknown }).default ?? require('comlink/dist/umd/node-adapter.js');

export type Remote<T> = ComlinkTypes.Remote<T>;

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
