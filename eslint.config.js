// ESLint: typescript-eslint's recommended rules plus the project's layout rules
// (tools/lint/thread-boundaries.js, docs/architecture.md "Layout and boundaries"). Formatting is
// Prettier's job (eslint-config-prettier turns off the rules that would fight it).
import js from '@eslint/js';
import prettier from 'eslint-config-prettier';
import tseslint from 'typescript-eslint';
import layout from './tools/lint/thread-boundaries.js';

/** Packages that exactly one module may import: swapping one touches one file. */
const SINGLE_IMPORTERS = {
  'node-sqlite3-wasm': ['src/writer/sqlite-candle-store.ts'],
  // The PostgreSQL driver and its COPY FROM STDIN stream, behind the store's small interface.
  pg: ['src/writer/pg/pg-driver.ts'],
  'pg-copy-streams': ['src/writer/pg/pg-driver.ts'],
  'uWebSockets.js': ['src/main/server/uws-transport.ts'],
  comlink: ['src/shared/comlink.ts'],
  pino: ['src/shared/log.ts'],
  'prom-client': ['src/main/metrics/prom-registry.ts'],
  // The cluster bus (docs/architecture.md "Several nodes"): the rest of the gateway sees bus.ts.
  '@nats-io/transport-node': ['src/main/bus/nats-bus.ts'],
  '@nats-io/jetstream': ['src/main/bus/nats-bus.ts'],
  '@nats-io/kv': ['src/main/bus/nats-bus.ts'],
  // Folder entries (ending in /): the freqtrade readers, and the tools that write test files.
  'apache-arrow': ['src/decode/', 'tools/fixtures/'],
  hyparquet: ['src/decode/read-parquet.ts'],
};

export default tseslint.config(
  { ignores: ['dist/', 'node_modules/', 'bench/results/', 'test-artifacts/', 'data/', 'coverage/'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  prettier,
  {
    languageOptions: { globals: { console: 'readonly', process: 'readonly', URL: 'readonly', setTimeout: 'readonly', clearTimeout: 'readonly' } },
    plugins: { layout },
    rules: {
      'layout/thread-boundaries': 'error',
      // Unused arguments that document a signature are fine when prefixed with _.
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_', caughtErrors: 'none' }],
      // The code base uses non-null assertions where an invariant makes them safe (documented there).
      '@typescript-eslint/no-non-null-assertion': 'off',
      'no-empty': ['error', { allowEmptyCatch: true }],
    },
  },
  {
    files: ['src/**/*.ts', 'workers/**/*.ts', 'tools/**/*.ts', 'scripts/**/*.ts'],
    rules: { 'layout/single-importer': ['error', SINGLE_IMPORTERS] },
  },
  {
    // The gateway's one WebSocket client is src/ingest/ws/ (chosen by measurement, docs/benchmarks.md
    // "Choosing the WebSocket client"); undici stays for HTTP. (domain/ and protocol/ below forbid more.)
    files: ['src/**/*.ts', 'workers/**/*.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          paths: [
            { name: 'undici', importNames: ['WebSocket'], message: 'the ingest WebSocket client is src/ingest/ws/ws-client.ts' },
            { name: 'ws', message: 'the ingest WebSocket client is src/ingest/ws/ws-client.ts' },
          ],
        },
      ],
    },
  },
  {
    // Tests read parsed JSON frames and driver objects loosely.
    files: ['test/**/*.ts'],
    rules: { '@typescript-eslint/no-explicit-any': 'off' },
  },
  {
    // Pure code: no I/O, whichever thread runs it.
    files: ['src/domain/**/*.ts', 'src/protocol/**/*.ts'],
    rules: {
      'no-restricted-imports': ['error', { patterns: [{ group: ['node:*', 'undici', 'ws'], message: 'domain/ and protocol/ are pure: no I/O modules' }] }],
    },
  },
);
