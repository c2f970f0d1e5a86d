import { SERVER_SETTINGS } from './settings-server.js';
import { MARKET_SETTINGS } from './settings-market.js';
import { STORAGE_SETTINGS } from './settings-storage.js';
import { INGEST_SETTINGS } from './settings-ingest.js';
import { HISTORY_SETTINGS } from './settings-history.js';
import { CLUSTER_SETTINGS } from './settings-cluster.js';
import type { Setting } from './setting-spec.js';

/**
 * Every setting the gateway reads, one file per section of docs/operations.md (in this order).
 * docs/operations.md is generated from this table (`npm run docs:settings`) and a test fails when
 * the two disagree.
 */
export const SETTINGS = {
  ...SERVER_SETTINGS,
  ...MARKET_SETTINGS,
  ...STORAGE_SETTINGS,
  ...INGEST_SETTINGS,
  ...HISTORY_SETTINGS,
  ...CLUSTER_SETTINGS,
} as const;

export type SettingName = keyof typeof SETTINGS;

type ValueOf<S> = S extends Setting<infer T> ? T : never;

/** The validated, frozen configuration every part of the gateway reads. */
export type Config = { readonly [K in SettingName]: ValueOf<(typeof SETTINGS)[K]> };
