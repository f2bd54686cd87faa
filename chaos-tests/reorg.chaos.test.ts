/**
 * Real reorgs on anvil through the whole system (ingest → ledger → projector → api, coordinators on
 * etcd): after each, the REST state equals eth_call at the new head, the ledger's canonical entries
 * equal eth_getLogs of the new chain, and the rows of the orphaned blocks are marked, not deleted.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type ReorgResult, reorgChain } from './src/chain/reorg';
import { Cluster } from './src/harness/cluster';
import { measured, printLogsOnFailure } from './src/harness/vitest';
import { type RowSnapshot, snapshotRowsAbove } from './src/oracle';
import { reorgDoneLog, reorgIdOf, reorgThrough, stepTimes, verify } from './src/scenario';

let cluster: Cluster;
printLogsOnFailure(() => cluster);

beforeAll(async () => {
  cluster = await Cluster.start({ name: 'reorg', finalityDepth: 80, historyTx: 1_200 });
  const { head, ms } = await cluster.waitCaughtUp();
  measured('catch-up', { head: head.number, ms: Math.round(ms), seed: cluster.seed });
});

afterAll(async () => {
  await cluster?.stop();
});

describe('baseline', () => {
  it('before any reorg, the pipeline equals the chain (the oracles agree with an untouched run)', async () => {
    const v = await verify(cluster);
    measured('baseline', {
      head: v.state.head.number,
      pools: v.state.pools,
      ticks: v.state.ticks,
      positions: v.state.positions,
      ledgerEntries: v.ledger.entries,
      canonicalLogs: v.ledger.canonicalLogs,
    });
    expect(v.diffs).toEqual([]);
    expect(v.state.pools).toBeGreaterThanOrEqual(5);
    expect(v.state.ticks).toBeGreaterThan(20);
  });
});

describe('a reorg of depth N: the pipeline re-derives the new chain', () => {
  it.each([1, 2, 5, 12, 64])('depth %i', async (depth) => {
    const run = await reorgThrough(cluster, { depth, seed: depth });
    expect(run.done.reorgId).toBe(reorgIdOf(run.chain.head));
    expect(run.done.targetBlock).toBe(run.chain.ancestor.number);
    expect(run.done.origin).toBe('report');
    const v = await verify(cluster, {
      before: run.snapshot,
      hashes: run.chain.orphaned.map((b) => b.hash),
    });
    measured(`reorg depth ${depth}`, {
      reorgId: run.done.reorgId,
      targetBlock: run.done.targetBlock,
      coordinatorMs: run.done.durationMs,
      coordinatorLog: reorgDoneLog(cluster, run.done.reorgId),
      detectToDoneMs: Math.round(run.detectToDoneMs),
      toCaughtUpMs: Math.round(run.toCaughtUpMs),
      steps: stepTimes(run.done),
      pools: v.state.pools,
      ticks: v.state.ticks,
      positions: v.state.positions,
      ledgerEntries: v.ledger.entries,
      droppedLogs: v.ledger.dropped,
      orphanedRows: v.orphaned?.before,
    });
    expect(v.diffs).toEqual([]);
  });
});

describe('five reorgs back to back', () => {
  it('each is handled (queued while another runs), and the pipeline ends on the newest chain', async () => {
    await cluster.waitCaughtUp();
    const known = new Set((await cluster.reorgHistory()).map((c) => c.reorgId));
    const depths = [3, 1, 4, 2, 5];
    const chains: ReorgResult[] = [];
    const snapshots: RowSnapshot[] = [];
    const t0 = performance.now();
    for (const [i, depth] of depths.entries()) {
      // Two blocks of traffic, then a reorg right away: no waiting for the pipeline in between.
      await cluster.workload(12, 6, cluster.seed + 500 + i);
      snapshots.push(await snapshotRowsAbove(cluster, (await cluster.head()).number - depth - 2));
      chains.push(await reorgChain(cluster.devnet, { depth, seed: 50 + i }));
    }
    const caught = await cluster.waitCaughtUp();
    const done = (await cluster.reorgHistory()).filter((c) => !known.has(c.reorgId));
    // At least one protocol run: a reorg that lands while ingest is suspended above its ancestor needs
    // none of its own (ingest resumes on the newest chain); one that goes below it is reported next.
    expect(done.length).toBeGreaterThanOrEqual(1);
    expect(done.every((c) => c.phase === 'DONE')).toBe(true);
    const before = mergeSnapshots(snapshots);
    // Blocks may be orphaned before the projector reached them: rows are not required, only marked.
    const hashes = chains.flatMap((c) => c.orphaned.map((b) => b.hash));
    const v = await verify(cluster, { before, hashes, requireRows: false });
    measured('five reorgs back to back', {
      depths,
      reorgsRun: done.map((c) => ({ id: c.reorgId, target: c.targetBlock, ms: c.durationMs })),
      toCaughtUpMs: Math.round(performance.now() - t0),
      head: caught.head.number,
      droppedLogs: v.ledger.dropped,
      orphanedRows: v.orphaned?.before,
    });
    expect(v.diffs).toEqual([]);
  });
});

describe('resources', () => {
  it('ingest adds no abort listener per followed block or head poll (no MaxListenersExceededWarning)', async () => {
    // 15 blocks followed one by one, and the polls while it waits for each: more than 10 of each.
    for (let i = 0; i < 15; i++) {
      await cluster.rpc.request('evm_mine', []);
      await cluster.waitCaughtUp();
    }
    const warnings = cluster.logs('ingest', /MaxListenersExceededWarning/);
    expect(warnings.map((w) => w.msg)).toEqual([]);
  });
});

/** One snapshot holding, per table and block hash, the highest row count seen in any of `snaps`. */
function mergeSnapshots(snaps: readonly RowSnapshot[]): RowSnapshot {
  const out = {} as RowSnapshot;
  for (const s of snaps) {
    for (const [table, rows] of Object.entries(s) as [keyof RowSnapshot, Map<string, number>][]) {
      out[table] ??= new Map();
      const m = out[table];
      for (const [hash, n] of rows) m.set(hash, Math.max(n, m.get(hash) ?? 0));
    }
  }
  return out;
}
