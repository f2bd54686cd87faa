import type { ReorgContext } from '@tickstream/coordinator';
import { type ReorgResult, reorgChain } from './chain/reorg';
import type { Cluster, Head } from './harness/cluster';
import {
  canonicalRowsMarkedOrphaned,
  compareLedgerWithChain,
  compareStateWithChain,
  type LedgerComparison,
  type OrphanedRows,
  orphanedRows,
  type RowSnapshot,
  type StateComparison,
  snapshotRowsAbove,
} from './oracle';
import { waitForNewReorg } from './reorgs';

/** The three oracle checks after a reorg, and what they compared. */
export interface Verdict {
  readonly state: StateComparison;
  readonly ledger: LedgerComparison;
  readonly orphaned: OrphanedRows | undefined;
  /** Every difference found, prefixed with the check that found it. */
  readonly diffs: string[];
}

/**
 * Runs the three oracle checks at the chain's head: REST state = eth_call, canonical ledger =
 * eth_getLogs, and (when given the snapshot taken before the reorg) orphaned rows marked, not deleted.
 */
export async function verify(
  cluster: Cluster,
  orphans?: { before: RowSnapshot; hashes: readonly string[]; requireRows?: boolean },
): Promise<Verdict> {
  const head = await cluster.head();
  const state = await compareStateWithChain(cluster, head);
  const ledger = await compareLedgerWithChain(cluster, head);
  const orphaned =
    orphans === undefined
      ? undefined
      : await orphanedRows(cluster, orphans.before, orphans.hashes, {
          ...(orphans.requireRows === undefined ? {} : { requireRows: orphans.requireRows }),
        });
  const canonical = await canonicalRowsMarkedOrphaned(cluster);
  const diffs = [
    ...state.diffs.map((d) => `state: ${d}`),
    ...ledger.diffs.map((d) => `ledger: ${d}`),
    ...(orphaned?.diffs ?? []).map((d) => `orphaned rows: ${d}`),
    ...canonical.map((d) => `canonical rows: ${d}`),
  ];
  return { state, ledger, orphaned, diffs };
}

/** What one reorg through the whole system measured. */
export interface ReorgRun {
  readonly depth: number;
  readonly chain: ReorgResult;
  /** The reorg as the coordinator finished it. */
  readonly done: ReorgContext;
  /** From the `anvil_reorg` call to the reorg DONE in etcd, as the test saw it. */
  readonly detectToDoneMs: number;
  /** From the `anvil_reorg` call to the pipeline at the new head (all partitions, api ready). */
  readonly toCaughtUpMs: number;
  readonly head: Head;
  readonly snapshot: RowSnapshot;
}

/** The reorg id ingest reports for a new head: `r-<number>-<hash8>`. */
export function reorgIdOf(head: Head): string {
  return `r-${head.number}-${head.hash.slice(2, 10)}`;
}

/**
 * One real reorg of `depth` blocks through the whole system: seeded traffic so the blocks about to be
 * orphaned hold logs, wait until the pipeline has them, snapshot their rows, `anvil_reorg` with
 * different swaps, then wait for the coordinator's DONE and for the pipeline at the new head.
 */
export async function reorgThrough(
  cluster: Cluster,
  opts: { depth: number; seed: number; traffic?: boolean; timeoutMs?: number },
): Promise<ReorgRun> {
  const { depth, seed } = opts;
  if (opts.traffic !== false) {
    await cluster.workload(depth * 6, 6, cluster.seed + seed);
    await cluster.waitCaughtUp();
  }
  const before = await cluster.head();
  const snapshot = await snapshotRowsAbove(cluster, before.number - depth);
  const known = new Set((await cluster.reorgHistory()).map((c) => c.reorgId));
  const t0 = performance.now();
  const chain = await reorgChain(cluster.devnet, { depth, seed });
  const done = await waitForNewReorg(cluster, known, opts.timeoutMs ?? 180_000);
  const detectToDoneMs = performance.now() - t0;
  process.stdout.write(
    `reorg ${done.reorgId} (depth ${depth}, target ${done.targetBlock}) DONE in ${done.durationMs} ms by the coordinator, ${Math.round(detectToDoneMs)} ms after anvil_reorg\n`,
  );
  const caught = await cluster.waitCaughtUp(opts.timeoutMs ?? 240_000);
  return {
    depth,
    chain,
    done,
    detectToDoneMs,
    toCaughtUpMs: performance.now() - t0,
    head: caught.head,
    snapshot,
  };
}

/** A reorg context's step durations, for the printed measurements. */
export function stepTimes(ctx: ReorgContext): Record<string, number | null> {
  const out: Record<string, number | null> = {};
  for (const s of ctx.steps) {
    out[`${s.step} ${s.kind}`] =
      s.doneAt === undefined ? null : Date.parse(s.doneAt) - Date.parse(s.startedAt);
  }
  return out;
}

/** The `reorg done` line a coordinator logged for `reorgId` (durationMs, steps), if any. */
export function reorgDoneLog(
  cluster: Cluster,
  reorgId: string,
): { from: string; durationMs: number } | undefined {
  const line = cluster.coordinatorLogs('reorg done', (l) => l.reorgId === reorgId).at(-1);
  return line === undefined ? undefined : { from: line.from, durationMs: Number(line.durationMs) };
}

/**
 * `waitCaughtUp` for a head that does not move (no traffic). When the pipeline does not get there, mines
 * one block and looks again, to tell "stuck until the chain moves" from "stuck" in the error.
 */
export async function backAtHead(cluster: Cluster, timeoutMs = 30_000): Promise<{ head: Head; ms: number }> {
  try {
    return await cluster.waitCaughtUp(timeoutMs);
  } catch (err) {
    await cluster.rpc.request('evm_mine', []);
    const after = await cluster.waitCaughtUp(timeoutMs).catch(() => undefined);
    throw new Error(
      after === undefined
        ? `the pipeline did not return to the head: ${(err as Error).message}`
        : `the pipeline stayed below the head (${(err as Error).message}) until a new block was mined, then caught up in ${Math.round(after.ms)} ms`,
    );
  }
}
