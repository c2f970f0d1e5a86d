import { describe, expect, it } from 'vitest';
import { preferredNode } from '../../../src/main/cluster/rendezvous.js';

const series = Array.from({ length: 2000 }, (_, i) => `binance:${i % 2 ? 'spot' : 'futures'}:C${i}/USDT:${i % 3 ? '1m' : '5m'}`);
const owners = (nodes: string[]) => new Map(series.map((s) => [s, preferredNode(s, nodes)]));

describe('rendezvous hashing of series over ingest nodes', () => {
  it('is the same whatever order the nodes are listed in, and null without nodes', () => {
    for (const s of series.slice(0, 100)) expect(preferredNode(s, ['a', 'b', 'c'])).toBe(preferredNode(s, ['c', 'a', 'b']));
    expect(preferredNode(series[0]!, [])).toBeNull();
  });

  it('spreads series evenly over the nodes (each within 20% of its share)', () => {
    const nodes = ['ingest-1', 'ingest-2', 'ingest-3', 'ingest-4'];
    const counts = new Map<string, number>();
    for (const owner of owners(nodes).values()) counts.set(owner!, (counts.get(owner!) ?? 0) + 1);
    for (const node of nodes) expect(Math.abs(counts.get(node)! - series.length / 4)).toBeLessThan(0.2 * (series.length / 4));
  });

  it('moves only the joining node’s share when a node joins, and only the leaving node’s when one leaves', () => {
    const before = owners(['ingest-1', 'ingest-2', 'ingest-3']);
    const joined = owners(['ingest-1', 'ingest-2', 'ingest-3', 'ingest-4']);
    const moved = series.filter((s) => before.get(s) !== joined.get(s));
    expect(moved.every((s) => joined.get(s) === 'ingest-4')).toBe(true);
    expect(Math.abs(moved.length - series.length / 4)).toBeLessThan(0.2 * (series.length / 4));
    const left = owners(['ingest-1', 'ingest-3']);
    expect(series.filter((s) => before.get(s) !== left.get(s)).every((s) => before.get(s) === 'ingest-2')).toBe(true);
  });
});
