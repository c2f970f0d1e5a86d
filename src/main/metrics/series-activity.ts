import type { CommittedMessage } from '../../writer/contract.js';

export interface SeriesActivityEntry {
  committed: number;
  head: number;
  lastCommitAtMs: number;
}

/** Series tracked for per-series metrics; the least recently committed is dropped beyond this. */
const MAX_TRACKED_SERIES = 5000;

/** Per-series commit counts and heads, from the writer's committed notices (for /metrics). */
export class SeriesActivity {
  private readonly entries = new Map<string, SeriesActivityEntry>();

  record(msg: CommittedMessage, nowMs = Date.now()): void {
    for (const segment of msg.segments) {
      let entry = this.entries.get(segment.seriesId);
      if (entry) this.entries.delete(segment.seriesId);
      else entry = { committed: 0, head: segment.head, lastCommitAtMs: nowMs };
      entry.committed += segment.data.length / 6;
      entry.head = Math.max(entry.head, segment.head);
      entry.lastCommitAtMs = nowMs;
      this.entries.set(segment.seriesId, entry);
    }
    while (this.entries.size > MAX_TRACKED_SERIES) this.entries.delete(this.entries.keys().next().value!);
  }

  snapshot(): ReadonlyMap<string, SeriesActivityEntry> {
    return this.entries;
  }
}
