import { readFileSync } from 'node:fs';
import { parseSeriesId } from '../../domain/series-id.js';
import { describeError, GatewayError } from '../../shared/errors.js';

/**
 * Reads the whitelist file `{"series_ids":[...]}` (contract §4). A missing file is an empty
 * whitelist; a malformed file or an invalid series id stops start-up with the reason.
 */
export function loadWhitelist(path: string): { seriesIds: string[]; found: boolean } {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return { seriesIds: [], found: false };
    throw new GatewayError('bad_request', `cannot read whitelist ${path}: ${describeError(err)}`);
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (err) {
    throw new GatewayError('bad_request', `whitelist ${path} is not valid JSON: ${describeError(err)}`);
  }
  const ids = (parsed as { series_ids?: unknown })?.series_ids;
  if (!Array.isArray(ids)) throw new GatewayError('bad_request', `whitelist ${path} must be {"series_ids":[...]}`);
  const seriesIds: string[] = [];
  for (const id of ids) {
    try {
      seriesIds.push(parseSeriesId(id).raw);
    } catch {
      throw new GatewayError('bad_request', `whitelist ${path}: invalid series_id ${JSON.stringify(id)}`);
    }
  }
  return { seriesIds: [...new Set(seriesIds)], found: true };
}
