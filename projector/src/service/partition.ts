import {
  describeError,
  isTickstreamError,
  type Partition,
  type RollbackEntry,
  TickstreamError,
} from '@tickstream/shared';
import {
  accumulate,
  applyBlock,
  type BatchChanges,
  cloneModel,
  createBatch,
  type PartitionModel,
} from '../apply';
import {
  actionFor,
  type BatchInfo,
  confirmedThrough,
  LedgerHead,
  type LedgerLink,
  marksAfter,
  openLedgerLink,
  type ReorgMarks,
  type Rollback,
  resetConsumer,
  runFeed,
  type SealedBlock,
  type Unit,
} from '../consume';
import { Gate } from '../control/gate';
import { type RewindResult, rewindPartition } from '../rewind/rewind';
import {
  crossesSnapshot,
  loadPartition,
  packSnapshot,
  passRollback,
  publishBatch,
  type SnapshotWrite,
  writeBatch,
} from '../store';
import { feedTarget, type ProjectorDeps } from './deps';
import { Progress } from './progress';

/** Consecutive failed attempts (without a commit between) before a retryable error becomes fatal. */
const MAX_ATTEMPTS = 10;

/** Thrown when the stored checkpoint is ahead of this process's model: reload and go on. */
class ReloadNeeded extends Error {}

/** Thrown before a write when this process may no longer hold the partition (its lease is stale): stop. */
class NotOwner extends Error {}

/** Whether this process may write the partition now (etcd assignment: its lease is fresh). */
export type MayWrite = () => boolean;

/**
 * True for errors that must stop the partition (non-retryable TickstreamErrors: PROJECTION_INVARIANT,
 * CHECKPOINT_CONFLICT, LEDGER_MALFORMED): wrong state must never be written.
 *
 * @example isFatal(new TickstreamError('PROJECTION_INVARIANT', '…')) === true
 */
export function isFatal(err: unknown): boolean {
  return isTickstreamError(err) && !err.retryable;
}

/** A partition's state between two (re)loads: the model, where it is committed, its reorg marks. */
interface Run {
  model: PartitionModel;
  checkpointSeq: number | null;
  checkpointBlock: number | null;
  /** The last block folded into `model` (ahead of `checkpointBlock` while a commit is in flight). */
  foldedBlock: number | null;
  marks: ReorgMarks;
}

/** Called after each handled batch (status, progress). */
export type BatchListener = (runner: PartitionRunner, info: BatchInfo) => void;

/**
 * One partition of this process: loads its checkpoint and model, points its durable consumer right
 * after the checkpoint, then folds and commits batch after batch (acks after each commit), every
 * `SNAPSHOT_EVERY_BLOCKS` blocks with a snapshot of the model in the same transaction. Rollback entries
 * in the stream rewind it (`rewindPartition`), or are passed when the partition already rewound for
 * that reorg by the coordinator's command; after such a command it skips the orphaned fork's blocks
 * until the reorg's rollback entry. The control plane parks it between batches (`park`), rewinds it
 * (`adopt`) and lets it go on (`resume`). Retryable failures (Postgres, NATS) reload the partition and
 * go on; fatal ones (PROJECTION_INVARIANT, CHECKPOINT_CONFLICT, malformed ledger) reject `run`.
 *
 * @example
 * const runner = new PartitionRunner(deps, 2);
 * const running = runner.run(controller.signal);
 * await runner.park(); // … rewind …
 * runner.resume();
 */
export class PartitionRunner {
  readonly gate = new Gate();
  readonly partition: Partition;
  /** The committed checkpoint block (null before the first commit or load). */
  block: number | null = null;
  /** Entries of this partition still in the stream after the last batch. */
  pending = 0;
  /** Blocks skipped as orphaned (skip marker) since start. */
  skipped = 0;
  #commits = 0;
  /** True once this runner set the durable consumer up itself (etcd assignment: recreated on takeover). */
  #ownConsumer = false;
  #run: Run | null = null;
  #feed: AbortController | null = null;
  #wake: (() => void) | null = null;
  readonly #progress: Progress;
  /** Blocks from the stream's end within which the partition counts as near the head. */
  readonly #nearHeadBlocks: number;
  /** The snapshot window of blocks of ingest's backfill (final when appended): FINALITY_DEPTH at least. */
  readonly #deepSnapshotEvery: number;
  /** The ledger's head for this partition: rows FINALITY_DEPTH below it are written confirmed. */
  readonly #head: LedgerHead;
  /** The commit in flight (resolved when none): the next one starts after it. */
  #writing: Promise<void> = Promise.resolve();

  constructor(
    private readonly deps: ProjectorDeps,
    partition: Partition,
    private readonly onBatch?: BatchListener,
    private readonly mayWrite?: MayWrite,
  ) {
    this.partition = partition;
    this.#progress = new Progress(deps.log, String(partition), deps.cfg.PROJECTOR_PROGRESS_INTERVAL_MS);
    // A rewind never goes deeper than FINALITY_DEPTH: snapshots much further from the head would be
    // pruned before any reorg could use them; only their cost would stay. Twice the depth (and two
    // windows) leaves room for an estimate of entries per block that is off by half.
    this.#nearHeadBlocks = 2 * deps.cfg.FINALITY_DEPTH + 2 * deps.cfg.SNAPSHOT_EVERY_BLOCKS;
    this.#deepSnapshotEvery = Math.max(deps.cfg.SNAPSHOT_EVERY_BLOCKS, deps.cfg.FINALITY_DEPTH);
    this.#head = new LedgerHead(deps.jsm, feedTarget(deps.cfg, partition));
  }

  /** The partition's reorg marks as this process holds them (null before the first load). */
  get marks(): ReorgMarks | null {
    return this.#run?.marks ?? null;
  }

  /** Stops taking new batches: resolves once the current one is committed and acked and the feed closed. */
  park(): Promise<void> {
    const parked = this.gate.suspend();
    this.#feed?.abort();
    this.#wake?.();
    return parked;
  }

  resume(): void {
    this.gate.resume();
  }

  /** After a rewind of this (parked) partition: go on from its result (or reload when it did nothing). */
  adopt(result: RewindResult): void {
    if (result.model === null || result.checkpoint === null) {
      this.#run = null;
      return;
    }
    this.#run = {
      model: result.model,
      checkpointSeq: result.checkpoint.seq,
      checkpointBlock: result.checkpoint.blockNumber,
      foldedBlock: result.checkpoint.blockNumber,
      marks: result.marks,
    };
    this.block = result.checkpoint.blockNumber;
  }

  /** Runs until `signal` aborts (parks in between when asked). Rejects on a fatal error. */
  async run(signal: AbortSignal): Promise<void> {
    const { deps } = this;
    const { cfg, log } = deps;
    const name = String(this.partition);
    const target = feedTarget(cfg, this.partition);
    const stop = () => {
      this.#feed?.abort();
      this.#wake?.();
      this.gate.interrupt();
    };
    signal.addEventListener('abort', stop, { once: true });
    let attempts = 0;
    let reason = 'stopped';
    log.info({ partition: name }, 'partition runner started');
    try {
      while (!signal.aborted) {
        await this.gate.pass();
        if (signal.aborted) break;
        const commitsBefore = this.#commits;
        try {
          // A commit left in flight by a failed batch ends before anything is reloaded.
          await this.#writing.catch(() => undefined);
          this.#writing = Promise.resolve();
          const run = this.#run ?? (await this.#load());
          this.#run = run;
          const afterSeq = run.checkpointSeq ?? 0;
          this.#assertOwner(); // the durable consumer is shared with whoever owns the partition next
          if (this.mayWrite !== undefined && !this.#ownConsumer) {
            // Taken over: the previous owner may still be alive (frozen) with pull requests waiting on
            // the consumer, which would take deliveries away from us. A new consumer has none.
            await deps.jsm.consumers.delete(target.stream, target.durable).catch(() => false);
          }
          const consumer = await resetConsumer(deps.jsm, target, afterSeq);
          this.#ownConsumer = true;
          // Parked or stopped during the awaits above: `park`/`stop` found no feed to abort, so the one
          // about to be made would run on, deaf to both.
          if (this.gate.suspended || signal.aborted) continue;
          log.info(
            {
              partition: name,
              durable: target.durable,
              consumer,
              afterSeq,
              block: run.checkpointBlock,
              skip: run.marks.skip,
            },
            'partition starting after its checkpoint',
          );
          const feed = new AbortController();
          this.#feed = feed;
          const link = await (deps.openLink ?? (() => openFeedLink(cfg.NATS_URL)))();
          await runFeed(
            link,
            target,
            {
              afterSeq,
              maxBatchEntries: cfg.PROJECTOR_BATCH_ENTRIES,
              holdMs: cfg.PROJECTOR_BACKFILL_HOLD_MS,
              mayPull: this.mayWrite,
              snapshotEvery: cfg.SNAPSHOT_EVERY_BLOCKS,
              deepSnapshotEvery: this.#deepSnapshotEvery,
              nearHeadBlocks: this.#nearHeadBlocks,
              afterBlock: run.checkpointBlock,
            },
            log,
            async (units: Unit[], info: BatchInfo) => {
              this.pending = info.pending;
              const { batch, committed } = await this.#handle(run, units, info.near);
              return {
                committed: committed.then(() => {
                  this.#progress.record(info.entries, batch.blocks, info.pending, batch.block?.number);
                  this.onBatch?.(this, info);
                  attempts = 0;
                }),
              };
            },
            feed.signal,
          ).finally(() => link.close());
          this.#feed = null;
          if (feed.signal.aborted) continue; // parked, or stopping
          throw new TickstreamError('LEDGER_ERROR', 'the consumer stopped delivering', { retryable: true });
        } catch (err) {
          this.#feed = null;
          this.#run = null; // the model may be half-way through a block: reload it
          if (err instanceof NotOwner) {
            reason = err.message;
            break;
          }
          if (err instanceof ReloadNeeded) {
            log.warn({ partition: name, reason: err.message }, 'reloading the partition from Postgres');
            continue;
          }
          if (isFatal(err)) throw err;
          // Stopping, or the lease turned stale: whatever failed is no failure of the partition (a feed
          // closed under it, a consumer taken over). It stops; it never counts toward MAX_ATTEMPTS.
          if (signal.aborted) break;
          if (this.mayWrite !== undefined && !this.mayWrite()) {
            reason = `the projector lease is stale (${describeError(err)})`;
            break;
          }
          if (this.#commits === commitsBefore) attempts++;
          if (attempts >= MAX_ATTEMPTS) throw err;
          const delay = Math.min(5_000, 100 * 2 ** attempts);
          log.warn(
            { partition: name, attempt: attempts, delayMs: delay, err: describeError(err) },
            'partition failed, reloading',
          );
          await this.#sleep(delay, signal);
        }
      }
    } catch (err) {
      reason = describeError(err);
      throw err;
    } finally {
      signal.removeEventListener('abort', stop);
      this.gate.release();
      log.info({ partition: name, reason, commits: this.#commits }, 'partition runner stopped');
    }
  }

  /** Throws NotOwner when this process may no longer write the partition. */
  #assertOwner(): void {
    if (this.mayWrite !== undefined && !this.mayWrite()) {
      throw new NotOwner('the projector lease is stale: the partition may have another owner soon');
    }
  }

  async #load(): Promise<Run> {
    const { checkpoint, marks, model } = await loadPartition(
      this.deps.pg,
      this.deps.cfg.CHAIN_ID,
      this.partition,
    );
    this.block = checkpoint?.blockNumber ?? null;
    return {
      model,
      checkpointSeq: checkpoint?.seq ?? null,
      checkpointBlock: checkpoint?.blockNumber ?? null,
      foldedBlock: checkpoint?.blockNumber ?? null,
      marks,
    };
  }

  /** A delay that `park` and the stop signal cut short (none at all when already stopping). */
  #sleep(ms: number, signal: AbortSignal): Promise<void> {
    if (signal.aborted || this.gate.suspended) return Promise.resolve();
    return new Promise((resolve) => {
      const timer = setTimeout(done, ms);
      function done() {
        clearTimeout(timer);
        resolve();
      }
      this.#wake = () => {
        this.#wake = null;
        done();
      };
    });
  }

  /**
   * Folds one batch of units and starts its commit: blocks in transactions, rollbacks between them
   * (each waits for the commits before it). Returns once the model is folded and the previous batch's
   * commit is done, with the promise of this one's, so that the next batch is folded while this one is
   * written: one commit in flight at most (`#writing`), each from the checkpoint the one before left.
   */
  async #handle(
    run: Run,
    units: Unit[],
    near: boolean,
  ): Promise<{ batch: BatchChanges; committed: Promise<void> }> {
    const chainId = this.deps.cfg.CHAIN_ID;
    let batch = createBatch(chainId, this.partition);
    let last = batch;
    let deep: number | null = null; // the batch's last block appended by ingest's backfill (final)
    for (const unit of units) {
      const action = actionFor(run.marks, unit);
      if (action === 'apply') {
        const block = unit as SealedBlock;
        accumulate(batch, applyBlock(run.model, block));
        if (block.seal.parentHash === null) deep = block.seal.blockNumber;
        continue;
      }
      if (action === 'skip') {
        this.skipped++;
        continue;
      }
      if (batch.blocks > 0) {
        await this.#commit(run, batch, deep, near);
        last = batch;
      }
      await this.#writing;
      deep = null;
      batch = createBatch(chainId, this.partition);
      const rollback = unit as Rollback;
      if (action === 'pass') await this.#pass(run, rollback);
      else await this.#rewind(run, rollback.entry, rollback.seq);
    }
    if (batch.blocks > 0) {
      await this.#commit(run, batch, deep, near);
      last = batch;
    }
    return { batch: last, committed: this.#writing };
  }

  /** A rollback entry of a reorg this partition already rewound for: the checkpoint moves past it. */
  async #pass(run: Run, unit: Rollback): Promise<void> {
    this.#assertOwner();
    const marks = marksAfter(run.marks, unit);
    const moved = await passRollback(
      this.deps.pg,
      this.deps.cfg.CHAIN_ID,
      this.partition,
      run.checkpointSeq,
      unit.seq,
      marks,
    );
    if (moved) run.checkpointSeq = unit.seq;
    run.marks = marks;
    this.deps.log.info(
      {
        partition: String(this.partition),
        reorgId: unit.entry.reorgId,
        toBlock: unit.entry.toBlock,
        seq: unit.seq,
        skipped: this.skipped,
      },
      'rollback entry passed: already rewound for this reorg',
    );
  }

  /** Any other rollback entry: rewind to its block, the replay ending at the entry. */
  async #rewind(run: Run, entry: RollbackEntry, seq: number): Promise<void> {
    this.#assertOwner();
    const r = await rewindPartition(this.deps, this.partition, entry.toBlock, entry.reorgId, {
      untilSeq: seq,
      toBlockHash: entry.toBlockHash,
    });
    if (r.model === null || r.checkpoint === null) {
      throw new ReloadNeeded(`rollback ${entry.reorgId} was already applied by another run`);
    }
    run.model = r.model;
    run.checkpointSeq = r.checkpoint.seq;
    run.checkpointBlock = r.checkpoint.blockNumber;
    run.foldedBlock = r.checkpoint.blockNumber;
    run.marks = r.marks;
    this.block = r.checkpoint.blockNumber;
    this.#commits++;
    this.deps.log.info(
      {
        partition: String(this.partition),
        reorgId: entry.reorgId,
        toBlock: entry.toBlock,
        ms: Math.round(r.ms),
      },
      'rollback entry in the stream: partition rewound',
    );
  }

  /**
   * Writes one batch, with a snapshot when it crosses a multiple of SNAPSHOT_EVERY_BLOCKS near the head
   * (`near`: the feed's judgement when it handed the batch over; far behind, a snapshot would be pruned
   * before any reorg could need it: only its cost would stay).
   * Blocks of ingest's backfill (`deep`: the batch's last such block; their seals carry no parent hash)
   * are final when appended: their rows are written confirmed, and while the batch ends in one, a
   * snapshot is taken only every FINALITY_DEPTH blocks (only a reorg right after ingest went from
   * backfill to following can rewind into them).
   */
  async #commit(run: Run, batch: BatchChanges, deep: number | null, near: boolean): Promise<void> {
    const { deps } = this;
    const block = batch.block!;
    const snapshotEvery = deep === block.number ? this.#deepSnapshotEvery : deps.cfg.SNAPSHOT_EVERY_BLOCKS;
    // The model as of this batch's end: packed (and copied) before the next batch is folded into it.
    const snapshot: SnapshotWrite | undefined =
      near && crossesSnapshot(run.foldedBlock, block.number, snapshotEvery)
        ? {
            blockNumber: block.number,
            blockHash: block.hash,
            seq: batch.seq,
            state: await packSnapshot(run.model),
          }
        : undefined;
    const kept = snapshot !== undefined && deps.snapshots !== undefined ? cloneModel(run.model) : null;
    run.foldedBlock = block.number;
    // One commit in flight at most: this batch was folded while the previous one was written.
    await this.#writing;
    const write = this.#write(run, batch, deep, snapshot, kept);
    write.catch(() => undefined); // observed by the feed (the ack waits on it) and the next commit
    this.#writing = write;
  }

  /** Writes a folded batch once the commit before it is done (see `#commit`). */
  async #write(
    run: Run,
    batch: BatchChanges,
    deep: number | null,
    snapshot: SnapshotWrite | undefined,
    kept: PartitionModel | null,
  ): Promise<void> {
    const { deps } = this;
    const block = batch.block!;
    const fromHead = confirmedThrough(await this.#head.get(), deps.cfg.FINALITY_DEPTH);
    const through = deep === null || (fromHead !== null && fromHead > deep) ? fromHead : deep;
    this.#assertOwner();
    const result = await writeBatch(deps.pg, batch, run.checkpointSeq, {
      snapshot,
      confirmedThrough: through,
      previousBlock: run.checkpointBlock,
    });
    this.#commits++;
    deps.afterCommit?.();
    if (result.status === 'advanced' && kept !== null) deps.snapshots?.put(this.partition, snapshot!, kept);
    if (result.status === 'advanced') {
      run.checkpointSeq = batch.seq;
      run.checkpointBlock = block.number;
      this.block = block.number;
      await publishBatch(deps.redis, batch, deps.log);
      return;
    }
    if (result.current.seq === batch.seq) {
      deps.log.info({ partition: String(batch.partition), seq: batch.seq }, 'batch already applied, skipped');
      run.checkpointSeq = batch.seq;
      run.checkpointBlock = block.number;
      return;
    }
    throw new ReloadNeeded(`checkpoint at ${result.current.seq} is ahead of this batch (${batch.seq})`);
  }
}

/**
 * Runs one partition until `signal` aborts (see `PartitionRunner`).
 *
 * @example
 * await runPartition(deps, 2, controller.signal);
 */
export function runPartition(deps: ProjectorDeps, partition: Partition, signal: AbortSignal): Promise<void> {
  return new PartitionRunner(deps, partition).run(signal);
}

/** The default connection of a partition's feed: a link of its own to NATS_URL. */
function openFeedLink(url: string): Promise<LedgerLink> {
  return openLedgerLink({ url, name: 'tickstream-projector-feed' });
}
