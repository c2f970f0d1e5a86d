/**
 * Writes the settings table of docs/operations.md from src/main/config/settings.ts, between the
 * `<!-- settings:begin -->` / `<!-- settings:end -->` markers. `npm run docs:settings`;
 * test/main/config/settings-doc.test.ts fails when the doc is stale.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { SETTINGS } from '../src/main/config/settings.js';

const GROUPS: Record<string, string> = {
  server: 'Server',
  market: 'Market data: HTTP reads, WebSocket sessions, hub',
  storage: 'Storage (writer worker: SQLite or PostgreSQL)',
  ingest: 'Live ingest (Binance) and supervisor',
  history: 'History (freqtrade datadir)',
};

export function settingsTable(): string {
  const out: string[] = [];
  for (const [group, title] of Object.entries(GROUPS)) {
    out.push(`### ${title}`, '', '| variable | default | allowed | what it does |', '|---|---|---|---|');
    for (const s of Object.values(SETTINGS)) {
      if (s.group !== group) continue;
      const def = s.kind.defaultText === '' ? '(empty)' : `\`${s.kind.defaultText}\``;
      out.push(`| \`${s.env}\` | ${def} | ${s.kind.allowed} | ${s.doc.replace(/\|/g, '\\|')} |`);
    }
    out.push('');
  }
  return out.join('\n');
}

export const DOC_PATH = new URL('../docs/operations.md', import.meta.url);
const BEGIN = '<!-- settings:begin -->';
const END = '<!-- settings:end -->';

export function withTable(doc: string): string {
  const start = doc.indexOf(BEGIN);
  const end = doc.indexOf(END);
  if (start < 0 || end < 0) throw new Error(`docs/operations.md lacks the ${BEGIN} / ${END} markers`);
  return `${doc.slice(0, start + BEGIN.length)}\n${settingsTable()}${doc.slice(end)}`;
}

if (import.meta.url === `file://${process.argv[1]}`) {
  writeFileSync(DOC_PATH, withTable(readFileSync(DOC_PATH, 'utf8')));
  console.log('docs/operations.md settings table updated');
}
