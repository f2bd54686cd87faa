/**
 * The projector's kept lease against a real etcd: it turns stale (its holder must stop writing) TTL/2
 * after the last keep-alive etcd answered, well before etcd can let it expire, and fresh again when
 * etcd answers before that.
 */
import { connectEtcd } from '@tickstream/coordinator';
import { type EtcdMember, freePort, startEtcd, waitFor } from '@tickstream/deploy/local';
import { allPartitions, createLogger, type Partition } from '@tickstream/shared';
import type { Etcd3 } from 'etcd3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type AssignedRunners, PartitionAssigner } from '../src/assign/assigner';
import { KeptLease } from '../src/assign/lease';
import { readClaims } from './support/assignment';

const TTL_S = 2;
let member: EtcdMember;
let etcd: Etcd3;
const log = createLogger('lease-test', 'silent');

beforeAll(async () => {
  member = await startEtcd({ name: 'proj-lease', clientPort: await freePort(), peerPort: await freePort() });
  etcd = connectEtcd(member.clientUrl);
});

afterAll(async () => {
  member?.resume();
  etcd?.close();
  await member?.stop();
});

describe('KeptLease', () => {
  it('behavior: etcd frozen: stale within TTL/2 of the last answer, fresh again once etcd answers', async () => {
    let changes = 0;
    const lease = await KeptLease.grant(etcd, TTL_S, log, () => changes++);
    await lease.lease.put('/test/held').value('x');
    await waitFor(() => lease.ageMs < 400, { timeoutMs: 5_000, what: 'a keep-alive answered' });
    expect(lease.fresh).toBe(true);

    const frozenAt = performance.now();
    member.pause();
    let staleMs: number;
    try {
      await waitFor(() => !lease.fresh, {
        timeoutMs: 5_000,
        what: 'the lease to turn stale',
        intervalMs: 5,
        maxIntervalMs: 5,
      });
      staleMs = performance.now() - frozenAt;
      await waitFor(() => changes > 0, { timeoutMs: 1_000, what: 'onChange for the stale lease' });
    } finally {
      member.resume();
    }
    console.log(`etcd frozen: lease stale ${Math.round(staleMs)} ms later (TTL ${TTL_S} s)`);
    // The last answered keep-alive was sent before the freeze: stale within TTL/2 of it (plus polling),
    // while etcd keeps the lease for TTL after it received that keep-alive.
    expect(staleMs).toBeLessThanOrEqual((TTL_S * 1_000) / 2 + 100);
    await waitFor(() => lease.fresh, { timeoutMs: 5_000, what: 'the lease fresh again' });
    expect(lease.lost).toBe(false);
    expect(await etcd.get('/test/held').string()).toBe('x'); // never lapsed
    await lease.close();
    expect(await etcd.get('/test/held').string()).toBeNull(); // revoked: gone at once
  });

  it('behavior: a lease etcd let expire is lost for good', async () => {
    let changes = 0;
    const lease = await KeptLease.grant(etcd, TTL_S, log, () => changes++);
    await etcd.leaseClient.leaseRevoke({ ID: lease.id }); // as if it had expired
    await waitFor(() => lease.lost, { timeoutMs: 5_000, what: 'the lease to be reported lost' });
    expect(lease.fresh).toBe(false);
    expect(changes).toBeGreaterThan(0);
    await lease.close();
  });
});

/**
 * Runners that only record starts and stops. The first stop of `slow` waits for `release` (a runner
 * finishing a long batch on a loaded host); every other stop is immediate.
 */
function fakeRunners(all: Partition[], slow: string) {
  let release!: () => void;
  const released = new Promise<void>((r) => {
    release = r;
  });
  let slowArmed = true;
  const running = new Set<string>();
  const stopping = new Map<string, Promise<void>>();
  const starts = new Map<string, number>();
  const end = (name: string) => {
    if (!running.has(name) || stopping.has(name)) return;
    if (name === slow && slowArmed) {
      slowArmed = false;
      stopping.set(
        name,
        released.then(() => {
          running.delete(name);
          stopping.delete(name);
        }),
      );
      return;
    }
    running.delete(name);
  };
  const runners: AssignedRunners = {
    partitions: () => all.filter((p) => running.has(String(p))),
    start: async (p) => {
      const name = String(p);
      if (running.has(name)) return;
      running.add(name);
      starts.set(name, (starts.get(name) ?? 0) + 1);
    },
    stop: async (p) => {
      end(String(p));
      await stopping.get(String(p));
    },
    abortAll: () => {
      for (const name of [...running]) end(name);
    },
    stopAll: async () => {
      runners.abortAll();
      await Promise.all([...stopping.values()]);
    },
  };
  return { runners, running, starts, release, stopping };
}

describe('PartitionAssigner', () => {
  it('behavior: etcd frozen until the lease is stale (not lapsed): every runner stops, then all run again, even with one slow to stop; close is prompt', async () => {
    const ttlS = 3;
    const all = allPartitions(2); // 0, 1, tokens
    const fake = fakeRunners(all, '1');
    const lines: string[] = [];
    const testLog = createLogger('assign-test', 'info');
    const log = new Proxy(testLog, {
      get(target, prop, receiver) {
        const v = Reflect.get(target, prop, receiver);
        if (prop !== 'info' && prop !== 'warn') return v;
        return (obj: unknown, msg?: string) => lines.push(typeof obj === 'string' ? obj : (msg ?? ''));
      },
    });
    const group = `lease_test_${process.pid}`;
    const assigner = PartitionAssigner.start(fake.runners, {
      etcd,
      chainId: 1,
      group,
      memberId: 'm1',
      partitionCount: 2,
      leaseTtlS: ttlS,
      log,
    });
    try {
      await waitFor(() => fake.running.size === all.length, {
        timeoutMs: 10_000,
        what: 'every runner started',
      });
      await waitFor(() => lines.some((l) => l.startsWith('projector joined')), {
        timeoutMs: 1_000,
        what: 'joined',
      });

      member.pause();
      try {
        await waitFor(() => !assigner.mayWrite(), {
          timeoutMs: 5_000,
          what: 'the lease to turn stale',
          intervalMs: 5,
          maxIntervalMs: 5,
        });
        // Stopped at once (the reconcile may be waiting on the frozen etcd), but for the slow one.
        await waitFor(() => fake.running.size === 1 && fake.stopping.has('1'), {
          timeoutMs: 1_000,
          what: 'the runners to stop on the stale lease',
          intervalMs: 5,
          maxIntervalMs: 5,
        });
      } finally {
        member.resume();
      }
      await waitFor(() => lines.includes('projector lease fresh again'), {
        timeoutMs: 5_000,
        what: 'the lease fresh again',
      });
      // The others run again while partition 1 is still stopping: no reconcile waits on it forever.
      await waitFor(() => all.every((p) => String(p) === '1' || (fake.starts.get(String(p)) ?? 0) >= 2), {
        timeoutMs: 10_000,
        what: 'the stopped runners to start again',
      });
      expect(fake.stopping.has('1')).toBe(true);
      fake.release();
      await waitFor(() => (fake.starts.get('1') ?? 0) >= 2, {
        timeoutMs: 10_000,
        what: 'the slow runner to start again once stopped',
      });
      expect(fake.running.size).toBe(all.length);
      expect(lines.filter((l) => l === 'projector lease lost')).toEqual([]); // stale, never lapsed
      expect([...(await readClaims(etcd, 1, group)).values()]).toEqual(all.map(() => 'm1'));
    } finally {
      fake.release();
      const t0 = performance.now();
      await assigner.close();
      expect(performance.now() - t0).toBeLessThan(3_000);
    }
    expect(fake.running.size).toBe(0);
    expect((await readClaims(etcd, 1, group)).size).toBe(0);
  });
});
