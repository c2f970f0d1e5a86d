import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { DOC_PATH, withTable } from '../../../scripts/settings-doc.js';

describe('docs/operations.md', () => {
  it('lists every setting exactly as src/main/config/settings.ts defines it (run `npm run docs:settings`)', () => {
    const doc = readFileSync(DOC_PATH, 'utf8');
    expect(doc).toBe(withTable(doc));
  });
});
