import type { SettingKind } from './setting-kinds.js';

/** One setting: its environment variable, how it parses, and its line in docs/operations.md. */
export interface Setting<T> {
  /** Environment variable; every one keeps trade_canvas's `TRADE_CANVAS_` prefix (contract §4). */
  readonly env: string;
  readonly kind: SettingKind<T>;
  /** One line for docs/operations.md. */
  readonly doc: string;
  /** Section heading in docs/operations.md. */
  readonly group: 'server' | 'market' | 'storage' | 'ingest' | 'history' | 'cluster';
}

export function setting<T>(group: Setting<T>['group'], env: string, kind: SettingKind<T>, doc: string): Setting<T> {
  return { env: `TRADE_CANVAS_${env}`, kind, doc, group };
}

/** Bytes in a mebibyte, for byte-sized defaults. */
export const MIB = 1024 * 1024;
