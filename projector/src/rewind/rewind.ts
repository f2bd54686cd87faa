import type { StreamInfo } from '@nats-io/jetstream';
import type { Partition } from '@tickstream/shared';
import { feedTarget, type ProjectorDeps } from '../service/deps';
import { findSnapshots, loadSnapshot, RewindTransaction, readCheckpointStates, readSnapshot } from '../store';
import { ReplayCollector } from './collect';
import { finish, type Prepared, type RewindOptions, type RewindResult, repeatedResult } from './finish';
import { type ReadStats, readSubjects } from './replay';

export type { RewindOptions, RewindResult } from './finish';

/** Reads the partitions' entries after their snapshots, in one pass over the stream. */
async function replay(
  deps: ProjectorDeps,
  list: readonly Prepared[],
  reorgId: string,
  toBlock: number,
  untilSeq: number | undefined,
  streamInfo?: Promise<StreamInfo>,
): Promise<ReadStats> {
  const { cfg } = deps;
  const stream = feedTarget(cfg, list[0]!.partition).stream;
  return readSubjects(
    deps.js,
    deps.jsm,
    stream,
    list.map((p) => {
      p.collector = new ReplayCollector(p.ref?.seq ?? 0, reorgId, toBlock);
      return {
        subject: feedTarget(cfg, p.partition).subject,
        afterSeq: p.ref?.seq ?? 0,
        push: (seq, data) => p.collector.pushBytes(seq, data),
      };
    }),
    untilSeq,
    streamInfo,
  );
}

/**
 * Rewinds partitions of this process to `toBlock` for reorg `reorgId`, each exactly as a fresh
 * projection of the ledger's canonical blocks up to `toBlock` would leave it:
 *
 * 1. per partition, the newest snapshot at or below `toBlock` (or an empty model from the stream's
 *    start);
 * 2. one ordered read of the stream from the oldest of those snapshots to its end now (or to
 *    `untilSeq`), each partition's entries gathered into canonical sealed blocks (`ReplayCollector`:
 *    rollback entries met on the way drop what they orphaned; the rollback entry of `reorgId` ends
 *    the partition's replay);
 * 3. the blocks at or below `toBlock` folded into the snapshot's model;
 * 4. per partition, one Postgres transaction (`RewindTransaction`, begun while the ledger is read):
 *    rows above `toBlock` marked orphaned, latest rows rewritten, snapshots above deleted, checkpoint
 *    set to (the stream seq the replay reached, `toBlock` and its hash) with the marks: without
 *    `untilSeq`, skip the orphaned fork's blocks until `reorgId`'s rollback entry; then Redis.
 *
 * Each partition holds one Postgres connection throughout (its snapshot is read on it), so any pool
 * size works.
 *
 * Idempotent: a partition whose checkpoint already records `reorgId` is left alone (`repeated`). Cost
 * follows the entries since the snapshot, not the ledger's length. The partitions must not be consuming
 * meanwhile.
 *
 * @example
 * const results = await rewindPartitions(deps, [0, 1, 2, 3, 'tokens'], 120, 'r-125-0xab12cd34');
 */
export async function rewindPartitions(
  deps: ProjectorDeps,
  partitions: readonly Partition[],
  toBlock: number,
  reorgId: string,
  opts: RewindOptions = {},
): Promise<RewindResult[]> {
  const t0 = performance.now();
  const { pg, cfg } = deps;
  const chainId = cfg.CHAIN_ID;
  // The stream's state is asked for at once (the read needs it, not the snapshots).
  const streamInfo =
    partitions.length === 0 ? undefined : deps.jsm.streams.info(feedTarget(cfg, partitions[0]!).stream);
  streamInfo?.catch(() => undefined); // awaited by the read, if there is one
  const [states, refs] = await Promise.all([
    readCheckpointStates(pg, chainId, partitions),
    findSnapshots(pg, chainId, partitions, toBlock),
  ]);
  const all: Prepared[] = partitions.map((partition) => ({
    partition,
    current: states.get(String(partition))!,
    ref: refs.get(String(partition)) ?? null,
    snapshot: null,
    collector: new ReplayCollector(0),
    tx: null,
    snapshotMs: 0,
  }));
  const active = all.filter((p) => p.current.marks.lastReorgId !== reorgId);
  const loaded = performance.now();
  try {
    // While the ledger is read: each partition's transaction begins (orphan marking needs only the
    // target) and its snapshot is taken from memory or read on that transaction's connection. Every
    // step is settled before anything is rethrown, so that no transaction is left open behind it.
    const begun = Promise.allSettled(active.map((p) => begin(deps, p, reorgId, toBlock)));
    const read =
      active.length > 0 ? replay(deps, active, reorgId, toBlock, opts.untilSeq, streamInfo) : undefined;
    const [b, r] = await Promise.allSettled([begun, read]);
    throwFirst([...(b.status === 'fulfilled' ? b.value : [b]), r]);
    await retryOlderSnapshots(deps, active, reorgId, toBlock, opts.untilSeq);
    const stats = r.status === 'fulfilled' ? r.value : undefined;
    const times = { t0, loaded, read: performance.now(), stream: stats?.ms, messages: stats?.messages ?? 0 };
    const results = await Promise.allSettled(
      all.map(async (p): Promise<RewindResult> => {
        if (p.tx === null) return repeatedResult(p, toBlock, reorgId, performance.now() - t0);
        return finish(deps, p, p.tx, toBlock, reorgId, opts, times);
      }),
    );
    throwFirst(results);
    return results.map((x) => (x as PromiseFulfilledResult<RewindResult>).value);
  } finally {
    for (const p of active) await p.tx?.abort();
  }
}

function throwFirst(results: readonly PromiseSettledResult<unknown>[]): void {
  const failed = results.find((x): x is PromiseRejectedResult => x.status === 'rejected');
  if (failed !== undefined) throw failed.reason;
}

/** Begins a partition's rewind transaction and gets its snapshot's model. */
async function begin(deps: ProjectorDeps, p: Prepared, reorgId: string, toBlock: number): Promise<void> {
  const chainId = deps.cfg.CHAIN_ID;
  p.tx = await RewindTransaction.begin(deps.pg, {
    chainId,
    partition: p.partition,
    expectedSeq: p.current.checkpoint?.seq ?? null,
    reorgId,
    toBlock,
  });
  if (p.tx === null || p.ref === null) return;
  const t0 = performance.now();
  const kept = deps.snapshots?.take(p.partition, p.ref) ?? null;
  p.snapshot =
    kept !== null
      ? { ...p.ref, model: kept, bytes: 0 }
      : await readSnapshot(p.tx.client, chainId, p.partition, p.ref);
  p.snapshotMs = performance.now() - t0;
}

/** A snapshot above a rollback met on the way (not deleted in time) cannot be rewound from: older one. */
async function retryOlderSnapshots(
  deps: ProjectorDeps,
  active: readonly Prepared[],
  reorgId: string,
  toBlock: number,
  untilSeq: number | undefined,
): Promise<void> {
  for (let round = 0; round < 3; round++) {
    const again = active.filter(
      (p) =>
        p.tx !== null &&
        p.ref !== null &&
        p.collector.lowestRollback !== null &&
        p.collector.lowestRollback < p.ref.blockNumber,
    );
    if (again.length === 0) return;
    for (const p of again) {
      const below = Math.min(p.collector.lowestRollback!, toBlock);
      deps.log.warn(
        { partition: String(p.partition), snapshot: p.ref!.blockNumber, rollbackTo: below },
        'snapshot above a rollback in the ledger: rewinding from an older one',
      );
      p.snapshot = await loadSnapshot(p.tx!.client, deps.cfg.CHAIN_ID, p.partition, below);
      p.ref = p.snapshot;
    }
    await replay(deps, again, reorgId, toBlock, untilSeq);
  }
}

/**
 * Rewinds one partition to `toBlock` for reorg `reorgId` (see `rewindPartitions`).
 *
 * @example
 * const r = await rewindPartition(deps, 2, 120, 'r-125-0xab12cd34');
 * r.ms; // e.g. 41
 */
export async function rewindPartition(
  deps: ProjectorDeps,
  partition: Partition,
  toBlock: number,
  reorgId: string,
  opts: RewindOptions = {},
): Promise<RewindResult> {
  const [result] = await rewindPartitions(deps, [partition], toBlock, reorgId, opts);
  return result!;
}
