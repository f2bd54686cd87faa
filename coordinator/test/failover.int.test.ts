import { waitFor } from '@tickstream/deploy/local';
import type { IEvent } from 'etcd3';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { readCurrent } from '../src/context';
import { Cluster, ORDER, reached, stepsOf } from './cluster';
import { waitForHistory } from './harness';

/**
 * Leader failover with real processes: three coordinators on one etcd, in-process fake modules on the
 * real client library. Fake modules hold a step to park the protocol in a phase; no sleeps.
 */
const TTL_S = 3;
const CHAIN = 31337;
let cl: Cluster;
/** Measured failover times, printed at the end (see the report). */
const failovers: Record<string, number> = {};

beforeAll(async () => {
  cl = await Cluster.start({
    name: 'failover-int',
    chainId: CHAIN,
    ttlS: TTL_S,
    coordinators: ['c1', 'c2', 'c3'],
    modules: [
      ['ingest', 'i0'],
      ['projector', 'p0'],
      ['projector', 'p1'],
      ['api', 'a0'],
    ],
  });
});

afterAll(async () => {
  console.log('measured failovers (ms):', JSON.stringify(failovers));
  await cl?.stop();
});

describe('leader failover', () => {
  const parks = {
    SUSPENDING: ['ingest/i0', 'suspend'],
    ROLLING_BACK: ['projector/p1', 'rollback'],
    RESTORING: ['api/a0', 'restore'],
  } as const;

  test.each(Object.keys(parks) as (keyof typeof parks)[])(
    'chaos: kill -9 of the leader in %s: a new leader within 2 x TTL finishes the same reorg',
    async (phase) => {
      const reorgId = `r-kill-${phase.toLowerCase()}`;
      const [name, step] = parks[phase];
      const gate = cl.mod(name).hold(step);
      await cl.report(reorgId);
      await reached(gate, `${name} in ${step}`);
      expect((await readCurrent(cl.etcd, CHAIN))?.phase).toBe(phase);

      const old = cl.leaders.current!;
      const proc = cl.leaderProcess();
      const t0 = Date.now();
      await proc.kill('SIGKILL');
      const next = await cl.leaders.after(old.token, 4 * TTL_S * 1_000);
      failovers[`kill -9 in ${phase}`] = next.at - t0;
      expect(next.at - t0).toBeLessThan(2 * TTL_S * 1_000);
      expect(next.id).not.toBe(old.id);
      // The new leader adopts the context it finds and repeats the open step with its token.
      await waitFor(async () => (await readCurrent(cl.etcd, CHAIN))?.leaderToken === next.token, {
        timeoutMs: 10_000,
        what: 'the new leader to take the context over',
      });
      gate.release();

      const done = await waitForHistory(cl.etcd, CHAIN, reorgId);
      expect(done.leaderToken).toBe(next.token);
      expect(stepsOf(done)).toEqual(ORDER);
      for (const m of cl.modules) expect(m.ran(reorgId)).toEqual(['suspend', 'rollback', 'restore']); // repeats not redone
      // The held module got the new leader's repeat of its step: acked again, not run again.
      await waitFor(() => cl.mod(name).handle.highestToken === next.token, {
        timeoutMs: 5_000,
        what: `${name} to see the new token`,
      });
      await cl.allRunning();
      proc.respawn();
    },
  );

  test('chaos: SIGSTOP the leader past its lease: after SIGCONT every write it attempts is refused', async () => {
    const reorgId = 'r-sigstop';
    const gate = cl.mod('projector/p0').hold('rollback');
    const proc = cl.leaderProcess();
    const old = cl.leaders.current!;
    try {
      await cl.report(reorgId);
      await reached(gate, 'projector/p0 in rollback');
      const t0 = Date.now();
      proc.child.kill('SIGSTOP');
      const next = await cl.leaders.after(old.token, 4 * TTL_S * 1_000);
      failovers['SIGSTOP past the lease'] = next.at - t0;
      expect(next.at - t0).toBeLessThan(2 * TTL_S * 1_000);
      await waitFor(async () => (await readCurrent(cl.etcd, CHAIN))?.leaderToken === next.token, {
        timeoutMs: 10_000,
        what: 'the new leader to act',
      });

      // Record every write from here on, then wake the old leader.
      const from = Number((await cl.etcd.get(cl.keys.leader).exec()).header.revision) + 1;
      const events: IEvent[] = [];
      const recorder = await cl.etcd.watch().prefix(cl.keys.root).startRevision(String(from)).create();
      recorder.on('data', (res) => events.push(...res.events));
      const linesBefore = proc.lines.length;
      proc.child.kill('SIGCONT');

      const lost = await proc.waitForLog('leadership lost', 15_000, (l) => l.token === old.token);
      expect(lost.refusedWrites).toBeGreaterThanOrEqual(1);
      const refusals = proc.lines.slice(linesBefore).filter((l) => l.code === 'FENCED');
      expect(refusals.length).toBeGreaterThanOrEqual(1);

      gate.release();
      const done = await waitForHistory(cl.etcd, CHAIN, reorgId);
      expect(done.leaderToken).toBe(next.token);
      await recorder.cancel();
      const leaderWrites = events
        // Keys the leader writes (modules' acks and statuses carry the tokens of the commands they answer).
        .filter((e) => e.type === 'Put' && !/\/(acks|cl.modules)\//.test(e.kv.key.toString()))
        .map((e) => JSON.parse(e.kv.value.toString()) as { token?: number; leaderToken?: number });
      expect(leaderWrites.length).toBeGreaterThan(0);
      expect(leaderWrites.map((v) => v.leaderToken ?? v.token)).not.toContain(old.token);
      for (const m of cl.modules) expect(m.ran(reorgId)).toEqual(['suspend', 'rollback', 'restore']);
    } finally {
      gate.release();
      proc.child.kill('SIGCONT');
    }

    // Module side: a command that carries the deposed leader's token is refused, not run, not acked.
    const p0 = cl.mod('projector/p0');
    const refusedBefore = p0.handle.refused;
    await cl.etcd
      .put(cl.keys.command('projector', 'p0'))
      .value(JSON.stringify({ token: old.token, reorgId: 'r-stale', step: 'rollback', targetBlock: 1 }));
    await waitFor(() => p0.handle.refused === refusedBefore + 1, { timeoutMs: 5_000, what: 'p0 to refuse' });
    expect(p0.handle.status.detail).toContain('FENCED');
    expect(cl.calls.filter((c) => c.command.reorgId === 'r-stale')).toEqual([]);
    expect(await cl.etcd.get(cl.keys.ack('r-stale', 'rollback', 'projector', 'p0')).string()).toBeNull();
    await cl.allRunning();
  });

  test('behavior: SIGTERM makes the leader resign: another takes over at once, exit code 0', async () => {
    const old = cl.leaders.current!;
    const proc = cl.leaderProcess();
    const t0 = Date.now();
    await proc.kill('SIGTERM');
    expect(await proc.exited).toBe(0);
    const next = await cl.leaders.after(old.token, 2 * TTL_S * 1_000);
    failovers['SIGTERM (resign)'] = next.at - t0;
    expect(next.at - t0).toBeLessThan(TTL_S * 1_000);
    expect(proc.logs('resigned on shutdown')).toHaveLength(1);
    proc.respawn();
  });
});
