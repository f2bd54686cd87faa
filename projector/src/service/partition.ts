import {
  describeError,
  isTickstreamError,
  type Partition,
  type RollbackEntry,
  TickstreamError,
} from '@tickstream/shared';
import { accumulate, applyBlock, type BatchChanges, createBatch, type PartitionModel } from '../apply';
import { type BatchInfo, resetConsumer, runFeed, type Unit } from '../consume';
import { loadPartition, publishBatch, writeBatch } from '../store';
import { feedTarget, type ProjectorDeps } from './deps';
import { Progress } from './progress';

/** Consecutive failed attempts (without a commit between) before a retryable error becomes fatal. */
const MAX_ATTEMPTS = 10;

/** Thrown when the stored checkpoint is ahead of this process's model: reload and go on. */
class ReloadNeeded extends Error {}

/**
 * True for errors that must stop the partition (non-retryable TickstreamErrors: PROJECTION_INVARIANT,
 * CHECKPOINT_CONFLICT, LEDGER_MALFORMED, REORG_DETECTED): wrong state must never be written.
 *
 * @example isFatal(new TickstreamError('PROJECTION_INVARIANT', '…')) === true
 */
export function isFatal(err: unknown): boolean {
  return isTickstreamError(err) && !err.retryable;
}

/**
 * Rewinds a partition to a rollback entry's block. Reorg handling is a later issue: until then a
 * rollback stops the partition loudly. It fits here: the batch before it is committed first, history
 * rows carry block_hash and status, and the model is rebuilt by `loadPartition` afterwards.
 */
async function rewind(_deps: ProjectorDeps, partition: Partition, entry: RollbackEntry): Promise<never> {
  throw new TickstreamError(
    'REORG_DETECTED',
    `partition ${partition}: rollback to block ${entry.toBlock} (reorg ${entry.reorgId}) in the ledger; ` +
      'rewinding a projection is not supported yet',
    { details: { toBlock: entry.toBlock, toBlockHash: entry.toBlockHash, reorgId: entry.reorgId } },
  );
}

/** State of one run of a partition between two (re)loads. */
interface Run {
  readonly model: PartitionModel;
  checkpointSeq: number | null;
}

/** Writes one batch; returns true when it advanced the checkpoint. */
async function commit(deps: ProjectorDeps, run: Run, batch: BatchChanges, counter: { commits: number }) {
  const result = await writeBatch(deps.pg, batch, run.checkpointSeq);
  counter.commits++;
  deps.afterCommit?.();
  if (result.status === 'advanced') {
    run.checkpointSeq = batch.seq;
    await publishBatch(deps.redis, batch, deps.log);
    return;
  }
  if (result.current.seq === batch.seq) {
    deps.log.info({ partition: String(batch.partition), seq: batch.seq }, 'batch already applied, skipped');
    run.checkpointSeq = batch.seq;
    return;
  }
  throw new ReloadNeeded(`checkpoint at ${result.current.seq} is ahead of this batch (${batch.seq})`);
}

async function handleUnits(
  deps: ProjectorDeps,
  run: Run,
  units: Unit[],
  counter: { commits: number },
): Promise<BatchChanges> {
  const { model } = run;
  let batch = createBatch(model.chainId, model.partition);
  for (const unit of units) {
    if (unit.kind === 'rollback') {
      if (batch.blocks > 0) await commit(deps, run, batch, counter);
      batch = createBatch(model.chainId, model.partition);
      await rewind(deps, model.partition, unit.entry);
      continue;
    }
    accumulate(batch, applyBlock(model, unit));
  }
  if (batch.blocks > 0) await commit(deps, run, batch, counter);
  return batch;
}

/**
 * Runs one partition until `signal` aborts: loads its checkpoint and model from Postgres, points its
 * durable consumer right after the checkpoint, then folds and commits batch after batch (acks after each
 * commit). Retryable failures (Postgres, NATS) reload the partition and go on; fatal ones
 * (PROJECTION_INVARIANT, CHECKPOINT_CONFLICT, malformed ledger, rollback) reject.
 *
 * @example
 * await runPartition(deps, 2, controller.signal);
 */
export async function runPartition(
  deps: ProjectorDeps,
  partition: Partition,
  signal: AbortSignal,
): Promise<void> {
  const { cfg, log } = deps;
  const name = String(partition);
  const target = feedTarget(cfg, partition);
  const progress = new Progress(log, name, cfg.PROJECTOR_PROGRESS_INTERVAL_MS);
  const counter = { commits: 0 };
  let attempts = 0;
  while (!signal.aborted) {
    const commitsBefore = counter.commits;
    try {
      const { checkpoint, model } = await loadPartition(deps.pg, cfg.CHAIN_ID, partition);
      const run: Run = { model, checkpointSeq: checkpoint?.seq ?? null };
      const afterSeq = checkpoint?.seq ?? 0;
      const consumer = await resetConsumer(deps.jsm, target, afterSeq);
      log.info(
        {
          partition: name,
          durable: target.durable,
          consumer,
          afterSeq,
          block: checkpoint?.blockNumber ?? null,
        },
        'partition starting after its checkpoint',
      );
      await runFeed(
        deps.js,
        target,
        { afterSeq, maxBatchEntries: cfg.PROJECTOR_BATCH_ENTRIES },
        log,
        async (units: Unit[], info: BatchInfo) => {
          const batch = await handleUnits(deps, run, units, counter);
          progress.record(info.entries, batch.blocks, info.pending, batch.block?.number);
          attempts = 0;
        },
        signal,
      );
      if (!signal.aborted)
        throw new TickstreamError('LEDGER_ERROR', 'the consumer stopped delivering', { retryable: true });
    } catch (err) {
      if (err instanceof ReloadNeeded) {
        log.warn({ partition: name, reason: err.message }, 'reloading the partition from Postgres');
        continue;
      }
      if (isFatal(err)) throw err;
      if (counter.commits === commitsBefore) attempts++;
      if (attempts >= MAX_ATTEMPTS) throw err;
      const delay = Math.min(5_000, 100 * 2 ** attempts);
      log.warn(
        { partition: name, attempt: attempts, delayMs: delay, err: describeError(err) },
        'partition failed, reloading',
      );
      await new Promise((resolve) => setTimeout(resolve, delay));
    }
  }
}
