import { afterEach, describe, expect, it } from 'vitest';
import type { Bus, LeaseBucket } from '../../../src/main/bus/bus.js';
import { clusterNames, leaseKey } from '../../../src/main/bus/cluster-names.js';
import { connectNatsBus } from '../../../src/main/bus/nats-bus.js';
import { IngestOwnership } from '../../../src/main/cluster/ingest-ownership.js';
import type { LeasedJobs } from '../../../src/main/cluster/ownership-contract.js';
import { LeaseMirror } from '../../../src/main/cluster/lease-mirror.js';
import { decodeLeaseValue, type OwnerValue } from '../../../src/main/cluster/lease-values.js';
import { freshBusPrefix, natsSkipReason, useNats } from '../../support/nats-server.js';
import { waitFor, waitForAsync } from '../../support/wait.js';

/**
 * The lease model (issue 14 §4) against a real nats-server: owner entries written only when a
 * series changes hands, one node lease per node renewed per tick. Ticks are run by the test, and
 * each node's clock is the test's (wall time plus an offset it moves); only the server's own
 * expiry of a node lease (TTL below) is waited for, as it would be in production.
 */
const NODE_TTL_MS = 1000;
const SERIES = Array.from({ length: 12 }, (_, i) => `binance:futures:S${i}/USDT:1m`);
const skip = natsSkipReason();

/** The supervisor's side as the ownership drives it: which jobs run here. */
class RecordedJobs implements LeasedJobs {
  readonly running = new Set<string>();
  holds = 0;
  drops = 0;
  hold(seriesId: string): Promise<void> {
    this.holds++;
    this.running.add(seriesId);
    return Promise.resolve();
  }
  drop(seriesId: string): void {
    this.drops++;
    this.running.delete(seriesId);
  }
}

interface TestNode {
  readonly name: string;
  readonly ownership: IngestOwnership;
  readonly jobs: RecordedJobs;
  readonly clock: { offsetMs: number };
  readonly owners: LeaseBucket;
  readonly nodes: LeaseBucket;
  readonly mirrors: { owners: LeaseMirror; nodes: LeaseMirror; demand: LeaseMirror };
}

describe.skipIf(skip !== null)('IngestOwnership: owner entries and node leases', () => {
  const nats = useNats();
  const opened: Array<{ bus: Bus; mirrors: LeaseMirror[] }> = [];

  afterEach(async () => {
    for (const o of opened.splice(0)) {
      for (const m of o.mirrors) m.stop();
      await o.bus.close();
    }
  });

  async function cluster(...names: string[]): Promise<TestNode[]> {
    const prefix = freshBusPrefix();
    const cn = clusterNames(prefix);
    const out: TestNode[] = [];
    for (const name of names) {
      const bus = await connectNatsBus({ servers: nats().url, name, stream: { name: cn.stream, subjects: cn.streamSubjects, maxAgeMs: 60_000 } });
      const [owners, nodes, demand] = [
        await bus.leases(cn.ownersBucket, 0),
        await bus.leases(cn.nodesBucket, NODE_TTL_MS),
        await bus.leases(cn.demandBucket, 60_000),
      ];
      const mirrors = { owners: new LeaseMirror(owners), nodes: new LeaseMirror(nodes), demand: new LeaseMirror(demand) };
      await Promise.all(Object.values(mirrors).map((m) => m.start()));
      opened.push({ bus, mirrors: Object.values(mirrors) });
      const clock = { offsetMs: 0 };
      const jobs = new RecordedJobs();
      const ownership = new IngestOwnership(name, 'ingest', owners, nodes, mirrors, jobs, SERIES, 0, () => Date.now() + clock.offsetMs);
      out.push({ name, ownership, jobs, clock, owners, nodes, mirrors });
    }
    return out;
  }

  async function ownersOf(node: TestNode): Promise<Array<{ owner: string | undefined; revision: number }>> {
    return Promise.all(
      SERIES.map(async (id) => {
        const e = await node.owners.get(leaseKey(id));
        return { owner: e ? decodeLeaseValue<OwnerValue>(e.value)?.node : undefined, revision: e?.revision ?? 0 };
      }),
    );
  }

  /** Until `node`'s mirrors have every series' entry naming `owner`, and `owner`'s node lease. */
  async function mirrored(node: TestNode, owner: string): Promise<void> {
    const sees = (id: string) => decodeLeaseValue<OwnerValue>(node.mirrors.owners.get(leaseKey(id), Date.now())?.value ?? new Uint8Array())?.node === owner;
    await waitFor(() => node.mirrors.nodes.get(owner, Date.now()) !== null && SERIES.every(sees), `${node.name} to see ${owner} own every series`);
  }

  it('a steady tick rewrites only the node lease, never the owner entries', async () => {
    const [a, b] = await cluster('node-a', 'node-b');
    await a!.ownership.tick();
    expect(a!.jobs.running.size).toBe(SERIES.length); // alone so far: every series is its own
    await mirrored(b!, 'node-a');
    await b!.ownership.tick();
    expect(b!.jobs.running.size).toBe(0);

    const before = await ownersOf(a!);
    const leaseBefore = (await a!.nodes.get('node-a'))!.revision;
    for (let i = 0; i < 3; i++) {
      await a!.ownership.tick();
      await b!.ownership.tick();
    }
    expect(await ownersOf(a!)).toEqual(before);
    expect(before.every((o) => o.owner === 'node-a')).toBe(true);
    expect((await a!.nodes.get('node-a'))!.revision).toBeGreaterThan(leaseBefore);
    expect(a!.jobs.holds).toBe(SERIES.length);
    expect(a!.ownership.stats()).toMatchObject({ owned: SERIES.length, taken: SERIES.length, lost: 0 });
  });

  it("moves a dead node's series once the server dropped its node lease — not when a fast clock says so", async () => {
    const [a, b] = await cluster('node-a', 'node-b');
    await a!.ownership.tick();
    await mirrored(b!, 'node-a');

    // b's clock runs ten TTLs ahead: its mirror calls node-a dead, but the bucket still has
    // node-a's lease, so b takes nothing.
    b!.clock.offsetMs = 10 * NODE_TTL_MS;
    await b!.ownership.tick();
    expect(b!.jobs.running.size).toBe(0);
    expect((await ownersOf(a!)).every((o) => o.owner === 'node-a')).toBe(true);

    // node-a stops renewing (it hangs; it does not release). The server drops its lease a TTL later.
    await waitForAsync(async () => (await b!.nodes.get('node-a')) === null, "the server to drop node-a's lease");
    b!.clock.offsetMs = 0;
    await b!.ownership.tick();
    expect(b!.jobs.running.size).toBe(SERIES.length); // the only live node: preferred for all, at once
    expect((await ownersOf(b!)).every((o) => o.owner === 'node-b')).toBe(true);

    // node-a wakes up still thinking it holds them: its next tick sees node-b's entries and stops.
    await mirrored(a!, 'node-b');
    await a!.ownership.tick();
    expect(a!.jobs.running.size).toBe(0);
    expect(a!.jobs.drops).toBe(SERIES.length);
    expect(a!.ownership.stats()).toMatchObject({ owned: 0, lost: SERIES.length });
    expect(b!.ownership.ownerOf(SERIES[0]!)).toBe('node-b');
  });

  it('stops every job by its own clock once its node lease is a TTL old, and takes them back when it renews', async () => {
    const [a, b] = await cluster('node-a', 'node-b');
    await a!.ownership.tick();
    a!.ownership.dropIfLapsed();
    expect(a!.jobs.running.size).toBe(SERIES.length); // renewed just now

    a!.clock.offsetMs = NODE_TTL_MS; // a whole TTL without a renewal that reached the bucket
    a!.ownership.dropIfLapsed();
    expect(a!.jobs.running.size).toBe(0);
    expect(a!.ownership.stats()).toMatchObject({ owned: 0, lost: SERIES.length });

    // Back: nobody took the series (their entries still name node-a), so it takes them at once.
    await a!.ownership.tick();
    expect(a!.jobs.running.size).toBe(SERIES.length);
    expect(a!.jobs.holds).toBe(2 * SERIES.length);
    await mirrored(b!, 'node-a');
    await b!.ownership.tick();
    expect(b!.jobs.running.size).toBe(0);
  });

  it('a graceful stop deletes its entries and node lease, so another node takes the series on its next tick', async () => {
    const [a, b] = await cluster('node-a', 'node-b');
    await a!.ownership.tick();
    await mirrored(b!, 'node-a');
    await a!.ownership.releaseAll();
    expect((await ownersOf(a!)).every((o) => o.owner === undefined)).toBe(true);
    expect(await a!.nodes.get('node-a')).toBeNull();

    await waitFor(() => SERIES.every((id) => b!.ownership.ownerOf(id) === null), 'node-b to see the series free');
    await b!.ownership.tick();
    expect(b!.jobs.running.size).toBe(SERIES.length);
  });
});
