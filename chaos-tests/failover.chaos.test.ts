/**
 * The coordinator cluster under faults, with the real pipeline: the reorg protocol is parked in a phase
 * by SIGSTOPping a module (the leader waits for its ack), then the leader is killed (kill -9) or frozen
 * (SIGSTOP past its lease). A new leader must take over within 2 × the lease TTL, finish the same
 * reorg, leave no module suspended, and the state must equal the chain. A deposed leader's writes and
 * commands must be refused.
 *
 * Module leases here are 15 s: a SIGSTOPped module whose lease lapses is no longer waited for, so a
 * park must not outlive it. Coordinator leases are 2 s.
 */
import { keysFor, type Phase } from '@tickstream/coordinator';
import { waitFor } from '@tickstream/deploy/local';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type ReorgResult, reorgChain } from './src/chain/reorg';
import { Cluster, type CoordinatorName } from './src/harness/cluster';
import { measured, printLogsOnFailure } from './src/harness/vitest';
import { snapshotRowsAbove } from './src/oracle';
import { park } from './src/park';
import { stepTimes, verify } from './src/scenario';

const TTL_S = 2;
let cluster: Cluster;
printLogsOnFailure(() => cluster);

beforeAll(async () => {
  cluster = await Cluster.start({
    name: 'failover',
    finalityDepth: 32,
    historyTx: 800,
    coordinatorTtlS: TTL_S,
    env: { MODULE_LEASE_TTL_S: '15' },
  });
  const { head, ms } = await cluster.waitCaughtUp();
  measured('catch-up', { head: head.number, ms: Math.round(ms), seed: cluster.seed });
});

afterAll(async () => {
  await cluster?.stop();
});

/** Traffic into the blocks a reorg of `depth` will orphan, then the pipeline at the head. */
async function prepare(depth: number, seed: number) {
  await cluster.workload(depth * 6, 6, cluster.seed + seed);
  await cluster.waitCaughtUp();
  const head = await cluster.head();
  return snapshotRowsAbove(cluster, head.number - depth - 4);
}

/** The coordinator process holding the leader key. */
async function leaderNow() {
  const l = await cluster.leader();
  if (l === null) throw new Error('no leader');
  return l;
}

describe('kill -9 of the coordinator leader while a reorg is parked in a phase', () => {
  it.each<Phase>(['SUSPENDING', 'ROLLING_BACK', 'RESTORING'])('%s', async (phase) => {
    const depth = 3;
    const snapshot = await prepare(depth, 100 + phase.length);
    let chain: ReorgResult | undefined;
    const parked = await park(cluster, phase, async () => {
      chain = await reorgChain(cluster.devnet, { depth, seed: phase.length });
    });
    const reorgId = parked.context.reorgId;
    const old = await leaderNow();
    expect(parked.context.leaderToken).toBe(old.token);

    const t0 = performance.now();
    await cluster.kill9(old.id as CoordinatorName);
    const next = await cluster.waitForLeader(old.token, 4 * TTL_S * 1_000 + 10_000);
    const failoverMs = performance.now() - t0;
    // The new leader adopts the parked reorg: same id and phase, its token, the open step repeated.
    const adopted = await waitFor(
      async () => {
        const c = await cluster.currentReorg();
        return c?.leaderToken === next.token ? c : undefined;
      },
      { timeoutMs: 20_000, what: `leader ${next.id} to take ${reorgId} over`, maxIntervalMs: 20 },
    );
    const adoptMs = performance.now() - t0;
    expect(adopted.reorgId).toBe(reorgId);
    expect(adopted.phase).toBe(phase);

    cluster.resume(parked.stopped);
    const done = await cluster.waitForDone(reorgId);
    measured(`kill -9 leader in ${phase}`, {
      reorgId,
      parkedOn: parked.waitingOn,
      killed: old.id,
      newLeader: next.id,
      failoverMs: Math.round(failoverMs),
      adoptMs: Math.round(adoptMs),
      campaignMs: cluster.logs(next.id as CoordinatorName, 'elected leader').at(-1)?.campaignMs,
      reorgMs: done.durationMs,
      steps: stepTimes(done),
    });
    expect(done.leaderToken).toBe(next.token);
    expect(done.targetBlock).toBe(chain!.ancestor.number);
    expect(failoverMs).toBeLessThan(2 * TTL_S * 1_000);
    await cluster.startService(old.id as CoordinatorName);
    await cluster.waitCaughtUp();
    const modules = await cluster.modules();
    expect(modules.filter((m) => m.status.state !== 'running')).toEqual([]);

    const v = await verify(cluster, { before: snapshot, hashes: chain!.orphaned.map((b) => b.hash) });
    expect(v.diffs).toEqual([]);
  });
});

describe('a leader frozen past its lease (SIGSTOP), then woken (SIGCONT)', () => {
  it('every write or command of the deposed leader is refused; the new leader finishes the reorg', async () => {
    const depth = 2;
    const snapshot = await prepare(depth, 200);
    let chain: ReorgResult | undefined;
    const parked = await park(cluster, 'ROLLING_BACK', async () => {
      chain = await reorgChain(cluster.devnet, { depth, seed: 21 });
    });
    const reorgId = parked.context.reorgId;
    const old = await leaderNow();
    const oldName = old.id as CoordinatorName;

    const t0 = performance.now();
    cluster.pause(oldName);
    const next = await cluster.waitForLeader(old.token, 4 * TTL_S * 1_000 + 10_000);
    const failoverMs = performance.now() - t0;
    await waitFor(async () => (await cluster.currentReorg())?.leaderToken === next.token, {
      timeoutMs: 20_000,
      what: `leader ${next.id} to take ${reorgId} over`,
      maxIntervalMs: 20,
    });

    // Wake the deposed leader while the reorg is still parked: it believes it leads, and tries.
    const woke = Date.now();
    cluster.resume(oldName);
    const lost = await waitFor(
      () =>
        cluster.logs(oldName, 'leadership lost', (l) => Number(l.time) >= woke && l.token === old.token)[0],
      { timeoutMs: 20_000, what: `${old.id} to notice it lost leadership` },
    );
    const refusals = cluster.logs(
      oldName,
      /refused/,
      (l) => Number(l.time) >= woke && l.token === old.token && l.code === 'FENCED',
    );
    // Nothing the deposed leader wrote after waking went through: its steps are not in the context,
    // the heartbeat is the new leader's, and it logged no reorg step.
    const k = keysFor(cluster.chainId);
    const beat = JSON.parse((await cluster.etcd.get(k.heartbeat).string()) ?? '{}') as { token?: number };
    expect(beat.token).toBe(next.token);
    expect((await cluster.currentReorg())?.leaderToken).toBe(next.token);
    expect(cluster.logs(oldName, 'reorg step', (l) => Number(l.time) >= woke)).toEqual([]);

    cluster.resume(parked.stopped);
    const done = await cluster.waitForDone(reorgId);
    expect(done.leaderToken).toBe(next.token);
    await cluster.waitCaughtUp();

    // A command carrying the deposed token that reached the modules anyway (a write past the fence)
    // is refused by each module: it has seen the new leader's higher token.
    const modules = await cluster.modules();
    const stale = { token: old.token, reorgId: `stale-${old.token}`, step: 'suspend', targetBlock: 0 };
    for (const m of modules) await cluster.etcd.put(k.command(m.kind, m.id)).value(JSON.stringify(stale));
    const refusedBy = await waitFor(
      async () => {
        const now = await cluster.modules();
        const fenced = now.filter((m) => (m.status.detail ?? '').startsWith('FENCED'));
        return fenced.length === modules.length ? fenced : undefined;
      },
      { timeoutMs: 20_000, what: 'every module to refuse the stale command' },
    );
    expect((await cluster.modules()).filter((m) => m.status.state !== 'running')).toEqual([]);
    for (const m of modules) await cluster.etcd.delete().key(k.command(m.kind, m.id));

    const v = await verify(cluster, { before: snapshot, hashes: chain!.orphaned.map((b) => b.hash) });
    measured('SIGSTOP leader past its lease', {
      reorgId,
      frozen: old.id,
      newLeader: next.id,
      failoverMs: Math.round(failoverMs),
      deposedLeader: { reason: lost.reason, writes: lost.writes, refusedWrites: lost.refusedWrites },
      refusalLines: refusals.length,
      modulesRefusing: refusedBy.map((m) => `${m.kind}/${m.id}`),
    });
    expect(Number(lost.refusedWrites)).toBeGreaterThanOrEqual(1);
    expect(v.diffs).toEqual([]);
    expect(failoverMs).toBeLessThan(2 * TTL_S * 1_000 + 1_000);
  });
});

describe('a reorg that arrives while a rollback is in progress', () => {
  it('is queued, runs next, and the pipeline ends on the newest chain', async () => {
    const snapshot = await prepare(8, 300);
    let first: ReorgResult | undefined;
    const known = new Set((await cluster.reorgHistory()).map((c) => c.reorgId));
    const parked = await park(cluster, 'ROLLING_BACK', async () => {
      first = await reorgChain(cluster.devnet, { depth: 2, seed: 31 });
    });
    // The chain reorgs again, deeper than the first reorg's ancestor, while its rollback is parked.
    const second = await reorgChain(cluster.devnet, { depth: 6, seed: 32 });
    expect(second.ancestor.number).toBeLessThan(first!.ancestor.number);
    cluster.resume(parked.stopped);
    await cluster.waitForDone(parked.context.reorgId);
    const t = await cluster.waitCaughtUp();
    const done = (await cluster.reorgHistory()).filter((c) => !known.has(c.reorgId));
    expect(done.map((c) => c.reorgId)[0]).toBe(parked.context.reorgId);
    expect(done.length).toBeGreaterThanOrEqual(2);
    expect(done.at(-1)!.targetBlock).toBe(second.ancestor.number);
    const orphaned = [...first!.orphaned, ...second.orphaned].map((b) => b.hash);
    const v = await verify(cluster, { before: snapshot, hashes: orphaned });
    measured('reorg during a rollback', {
      reorgs: done.map((c) => ({ id: c.reorgId, target: c.targetBlock, ms: c.durationMs })),
      head: t.head.number,
    });
    expect(v.diffs).toEqual([]);
  });
});
