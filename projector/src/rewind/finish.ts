import type { Hex, Partition } from '@tickstream/shared';
import {
  accumulate,
  applyBlock,
  type BlockStamp,
  createBatch,
  createPartitionModel,
  type PartitionModel,
} from '../apply';
import type { ReorgMarks } from '../consume';
import type { ProjectorDeps } from '../service/deps';
import {
  type Checkpoint,
  type CheckpointState,
  type LoadedSnapshot,
  type OrphanCounts,
  publishRewind,
  type RewindTransaction,
  type SnapshotRef,
} from '../store';
import type { ReplayCollector, ReplayStats } from './collect';
import type { ReadTimes } from './replay';

const ZERO_HASH: Hex = `0x${'0'.repeat(64)}`;

/** Options of a rewind. */
export interface RewindOptions {
  /**
   * A rollback entry met in the stream: its stream sequence. The replay ends there and the checkpoint
   * moves onto it. Default: the stream's end now (a rewind by the coordinator's command).
   */
  readonly untilSeq?: number;
  /** The hash of `toBlock`, when known (a rollback entry names it). */
  readonly toBlockHash?: Hex;
}

/** What one partition's rewind did and how long it took. */
export interface RewindResult {
  readonly partition: Partition;
  readonly toBlock: number;
  readonly reorgId: string;
  /** The partition had already rewound for this reorg: nothing was done (`model` is null: reload). */
  readonly repeated: boolean;
  readonly checkpoint: Checkpoint | null;
  readonly marks: ReorgMarks;
  readonly model: PartitionModel | null;
  /**
   * The snapshot the replay started from (null: the start of the stream); `bytes` read from Postgres
   * (0: taken from this process's memory).
   */
  readonly snapshot: { readonly block: number; readonly seq: number; readonly bytes: number } | null;
  /** The partition's entries replayed after the snapshot; blocks folded; blocks above the target. */
  readonly replay: ReplayStats & { readonly folded: number; readonly above: number };
  readonly orphaned: OrphanCounts;
  /** Latest rows rewritten from the model / deleted. */
  readonly rewritten: number;
  readonly deleted: number;
  readonly ms: number;
  readonly phases: RewindPhases;
}

/** Where a partition's rewind spent its time (ms); `read*`, `begin*` and `snapshotMs` overlap. */
export interface RewindPhases {
  /** Checkpoints and snapshot rows looked up. */
  readonly loadMs: number;
  /** The ledger read, while each partition's transaction began (rows marked orphaned) and its snapshot was loaded. */
  readonly readMs: number;
  /** Of the read (shared by the partitions): stream info, consumer created, first message, the rest, close. */
  readonly readInfoMs: number;
  readonly readOpenMs: number;
  readonly readFirstMs: number;
  readonly readStreamMs: number;
  readonly readCloseMs: number;
  /** Stream messages read (every subject). */
  readonly readMessages: number;
  /** This partition's transaction: a pool connection, the locks, the rows above the target marked orphaned. */
  readonly connectMs: number;
  readonly lockMs: number;
  readonly orphanMs: number;
  /** The snapshot's model: a copy from memory, or read, inflated and decoded. */
  readonly snapshotMs: number;
  /** Canonical blocks folded into the snapshot's model. */
  readonly foldMs: number;
  /** Latest rows rewritten, checkpoint stored, commit. */
  readonly writeMs: number;
  /** Of the write: blocks past the old checkpoint, latest rows, deletions and checkpoint, commit. */
  readonly forwardMs: number;
  readonly rewriteMs: number;
  readonly checkpointMs: number;
  readonly commitMs: number;
  /** Redis published. */
  readonly redisMs: number;
}

const NO_PHASES: RewindPhases = {
  loadMs: 0,
  readMs: 0,
  readInfoMs: 0,
  readOpenMs: 0,
  readFirstMs: 0,
  readStreamMs: 0,
  readCloseMs: 0,
  readMessages: 0,
  connectMs: 0,
  lockMs: 0,
  orphanMs: 0,
  snapshotMs: 0,
  foldMs: 0,
  writeMs: 0,
  forwardMs: 0,
  rewriteMs: 0,
  checkpointMs: 0,
  commitMs: 0,
  redisMs: 0,
};

/** When a rewind's shared steps ended, and how its read went. */
export interface RewindTimes {
  readonly t0: number;
  readonly loaded: number;
  readonly read: number;
  readonly stream: ReadTimes | undefined;
  readonly messages: number;
}

const NONE: OrphanCounts = { pool_history: 0, tick_history: 0, position_history: 0, events: 0 };

/** One partition of a rewind, as it goes. */
export interface Prepared {
  readonly partition: Partition;
  readonly current: CheckpointState;
  /** The snapshot the replay starts after (its state is read meanwhile into `snapshot`). */
  ref: SnapshotRef | null;
  snapshot: LoadedSnapshot | null;
  collector: ReplayCollector;
  /** The partition's rewind transaction, begun while the ledger is read (null: already rewound). */
  tx: RewindTransaction | null;
  /** Time taken to get the snapshot's model (ms). */
  snapshotMs: number;
}

/** The result of a partition that had already rewound for this reorg. */
export function repeatedResult(p: Prepared, toBlock: number, reorgId: string, ms: number): RewindResult {
  return {
    partition: p.partition,
    toBlock,
    reorgId,
    repeated: true,
    checkpoint: p.current.checkpoint,
    marks: p.current.marks,
    model: null,
    snapshot: null,
    replay: { entries: 0, blocks: 0, rollbacks: 0, dropped: 0, folded: 0, above: 0 },
    orphaned: NONE,
    rewritten: 0,
    deleted: 0,
    ms,
    phases: NO_PHASES,
  };
}

/** Folds one partition's canonical blocks and finishes its rewind transaction. */
export async function finish(
  deps: ProjectorDeps,
  p: Prepared,
  tx: RewindTransaction,
  toBlock: number,
  reorgId: string,
  opts: RewindOptions,
  times: RewindTimes,
): Promise<RewindResult> {
  const { cfg, log } = deps;
  const chainId = cfg.CHAIN_ID;
  const foldStart = performance.now();
  const model = p.snapshot?.model ?? createPartitionModel(chainId, p.partition);
  const cpSeq = p.current.checkpoint?.seq ?? 0;
  const forward = createBatch(chainId, p.partition);
  const { fold, above } = p.collector.split(toBlock);
  let last: BlockStamp | null =
    p.snapshot === null ? null : { number: p.snapshot.blockNumber, hash: p.snapshot.blockHash as Hex };
  for (const block of fold) {
    const changes = applyBlock(model, block);
    if (block.seq > cpSeq) accumulate(forward, changes);
    last = changes.block;
  }
  const foldMs = performance.now() - foldStart;
  const stamp: BlockStamp =
    last !== null && last.number === toBlock
      ? last
      : opts.toBlockHash !== undefined
        ? { number: toBlock, hash: opts.toBlockHash }
        : (last ?? { number: toBlock, hash: ZERO_HASH });
  const checkpoint: Checkpoint = {
    seq: Math.max(p.collector.unitSeq, cpSeq),
    blockNumber: stamp.number,
    blockHash: stamp.hash,
  };
  const marks: ReorgMarks = p.collector.stopped
    ? { skip: null, lastReorgId: reorgId }
    : { skip: { reorgId, toBlock }, lastReorgId: reorgId };
  const writeStart = performance.now();
  const written = await tx.finish({ checkpoint, marks, forward, model });
  const end = performance.now();
  deps.snapshots?.dropAbove(p.partition, toBlock);
  await publishRewind(
    deps.redis,
    { chainId, partition: p.partition, checkpoint, pools: written.pools, deletedPools: written.deletedPools },
    log,
  );
  const published = performance.now();
  const r = times.stream;
  const w = tx.finishMs;
  const result: RewindResult = {
    partition: p.partition,
    toBlock,
    reorgId,
    repeated: false,
    checkpoint,
    marks,
    model,
    snapshot:
      p.snapshot === null
        ? null
        : { block: p.snapshot.blockNumber, seq: p.snapshot.seq, bytes: p.snapshot.bytes },
    replay: { ...p.collector.stats, folded: fold.length, above: above.length },
    orphaned: written.orphaned,
    rewritten: written.rewritten,
    deleted: written.deleted,
    ms: published - times.t0,
    phases: {
      loadMs: times.loaded - times.t0,
      readMs: times.read - times.loaded,
      readInfoMs: r?.info ?? 0,
      readOpenMs: r?.open ?? 0,
      readFirstMs: r?.first ?? 0,
      readStreamMs: r?.stream ?? 0,
      readCloseMs: r?.close ?? 0,
      readMessages: times.messages,
      connectMs: tx.beginMs.connect,
      lockMs: tx.beginMs.lock,
      orphanMs: tx.beginMs.orphan,
      snapshotMs: p.snapshotMs,
      foldMs,
      writeMs: end - writeStart,
      forwardMs: w?.forward ?? 0,
      rewriteMs: w?.rewrite ?? 0,
      checkpointMs: w?.checkpoint ?? 0,
      commitMs: w?.commit ?? 0,
      redisMs: published - end,
    },
  };
  log.info(
    {
      partition: String(p.partition),
      reorgId,
      toBlock,
      checkpoint,
      skip: marks.skip,
      snapshot: result.snapshot,
      replay: result.replay,
      orphaned: result.orphaned,
      rewritten: result.rewritten,
      deleted: result.deleted,
      ms: Math.round(result.ms),
      phases: roundAll(result.phases),
    },
    'partition rewound',
  );
  return result;
}

function roundAll<T extends object>(o: T): T {
  const out: Record<string, number> = {};
  for (const [k, v] of Object.entries(o) as [string, number][]) out[k] = Math.round(v * 10) / 10;
  return out as T;
}
