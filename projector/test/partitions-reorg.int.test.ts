/**
 * Two projector processes sharing the partitions through etcd, inside the whole system (devnet, ingest,
 * three coordinators, api: the chaos suite's cluster), through real anvil reorgs: each process rewinds
 * the partitions it owns on the coordinator's rollback; a process killed -9 in the middle of a reorg
 * leaves its partitions to the other, which starts them from their checkpoints, and the reorg's rollback
 * entries rewind them. After each, the state equals eth_call at the new head.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { DATA_ROOT, waitFor } from '@tickstream/deploy/local';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { reorgChain } from '../../chaos-tests/src/chain/reorg';
import { Cluster } from '../../chaos-tests/src/harness/cluster';
import { waitForNewReorg } from '../../chaos-tests/src/reorgs';
import { reorgThrough, verify } from '../../chaos-tests/src/scenario';
import { type ServiceProcess, spawnService } from '../../ingest/test/support/process';
import { claimCounts, logLines, readClaims } from './support/assignment';

let cluster: Cluster;
let second: ServiceProcess | undefined;
let group: string;

/** Waits until the claims split as `counts` (member id → partitions). */
async function waitForSplit(counts: Record<string, number>, what: string): Promise<Map<string, string>> {
  return waitFor(
    async () => {
      const claims = await readClaims(cluster.etcd, cluster.chainId, group);
      const n = claimCounts(claims);
      return Object.entries(counts).every(([m, c]) => n[m] === c) ? claims : false;
    },
    { timeoutMs: 60_000, what },
  );
}

beforeAll(async () => {
  cluster = await Cluster.start({ name: 'parts', finalityDepth: 80, historyTx: 600, moduleTtlS: 3 });
  group = `${cluster.prefix}_projector`;
  await waitForSplit({ 'projector-0': 5 }, 'projector-0 to claim every partition');
  second = spawnService('projector/src/main.ts', { ...cluster.envOf('projector'), MODULE_ID: 'projector-1' });
  await waitForSplit({ 'projector-0': 3, 'projector-1': 2 }, 'the partitions to split 3/2');
  await cluster.waitCaughtUp();
}, 600_000);

afterAll(async () => {
  await second?.kill();
  // The cluster keeps its services' logs under .data/run/chaos-parts-*; the second projector's beside them.
  if (second !== undefined) {
    mkdirSync(join(DATA_ROOT, 'run'), { recursive: true });
    writeFileSync(join(DATA_ROOT, 'run', 'chaos-parts-projector-1.log'), second.output());
  }
  await cluster?.stop();
});

describe('two projector processes through reorgs', () => {
  it('default: each rewinds its own partitions on the rollback command; state equals the chain', async () => {
    const run = await reorgThrough(cluster, { depth: 5, seed: 5 });
    const step = run.done.steps.find((s) => s.step === 'rollback' && s.kind === 'projector');
    expect(step?.acked?.slice().sort()).toEqual(['projector/projector-0', 'projector/projector-1']);
    const v = await verify(cluster, { before: run.snapshot, hashes: run.chain.orphaned.map((b) => b.hash) });
    console.log(
      `reorg depth 5 with two projectors: DONE in ${run.done.durationMs} ms, caught up ${Math.round(run.toCaughtUpMs)} ms after anvil_reorg; ` +
        `${v.state.pools} pools, ${v.state.ticks} ticks, ${v.state.positions} positions compared`,
    );
    expect(v.diffs).toEqual([]);
  });

  it('behavior: a projector killed -9 during a reorg: the other takes its partitions over, state equals the chain', async () => {
    const claims = await readClaims(cluster.etcd, cluster.chainId, group);
    const victimParts = [...claims].filter(([, m]) => m === 'projector-1').map(([p]) => p);
    await cluster.workload(40, 5, cluster.seed + 11);
    await cluster.waitCaughtUp();
    const known = new Set((await cluster.reorgHistory()).map((c) => c.reorgId));
    const t0 = Date.now();
    // Frozen first, projector-1 cannot acknowledge the suspend: the reorg holds in SUSPENDING (until its
    // module lease lapses), and the kill -9 lands inside it.
    second!.child.kill('SIGSTOP');
    await reorgChain(cluster.devnet, { depth: 4, seed: 11 });
    const ctx = await cluster.waitForPhase('SUSPENDING');
    second!.child.kill('SIGKILL');
    await second!.exited;
    const killAt = Date.now();
    const done = await waitForNewReorg(cluster, known, 180_000);
    await waitForSplit({ 'projector-0': 5 }, 'projector-0 to take every partition');
    const caught = await cluster.waitCaughtUp();
    const out = cluster
      .logs('projector', /partition claimed|rollback entry/)
      .filter((l) => (l.time ?? 0) >= t0);
    const taken = out.filter((l) => l.msg === 'partition claimed').map((l) => String(l.partition));
    const byEntry = (msg: string) => out.filter((l) => l.msg === msg).map((l) => String(l.partition));
    const rewoundByEntry = byEntry('rollback entry in the stream: partition rewound');
    const passedEntry = byEntry('rollback entry passed: already rewound for this reorg');
    console.log(
      `kill -9 of projector-1 (reorg ${ctx.reorgId} in ${ctx.phase}): ` +
        `reorg ${done.reorgId} DONE in ${done.durationMs} ms, steps ${done.steps.map((s) => `${s.step} ${s.kind}: ${s.acked?.join(',') ?? '-'}`).join('; ')}; ` +
        `projector-0 took ${taken.join(', ')} (projector-1 had ${victimParts.join(', ')}), rewound by the rollback entry: ${rewoundByEntry.join(', ') || '-'}, entry passed (rewound by command): ${passedEntry.join(', ') || '-'}; ` +
        `pipeline at ${caught.head.number} ${Date.now() - killAt} ms after the kill`,
    );
    expect(taken.sort()).toEqual([...victimParts].sort());
    expect(done.reorgId).toBe(ctx.reorgId);
    const suspended = done.steps.find((s) => s.step === 'suspend' && s.kind === 'projector');
    expect(suspended?.acked).toContain('projector/projector-0');
    expect(suspended?.acked).not.toContain('projector/projector-1'); // frozen, then killed: never acked
    const v = await verify(cluster);
    expect(v.diffs).toEqual([]);
    expect(logLines(second!.output()).some((l) => l.msg === 'projector joined')).toBe(true);
  });
});
