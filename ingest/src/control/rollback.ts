import { allPartitions, type Hex, type RollbackEntry } from '@tickstream/shared';
import { fetchHeader } from '../follow';
import { readTail } from '../publish';
import type { IngestDeps, IngestState } from '../service/deps';
import { rewindCursor, saveWatchProgress } from '../store';

/**
 * Ingest's roll-back step: appends one rollback entry per partition (`toBlock`, its hash, the reorg
 * id), moves the cursor back to `toBlock`, drops the headers above it, and makes the reorg id the
 * ledger's epoch (part of every later message id). Idempotent by reorg id: entries already in the
 * ledger's tail are not appended again. The loop must be parked (see `Gate`).
 *
 * @example await rollbackTo(deps, state, 120, 'r-125-0xab12cd34');
 */
export async function rollbackTo(
  deps: IngestDeps,
  state: IngestState,
  toBlock: number,
  reorgId: string,
): Promise<number> {
  const hash: Hex = state.headers.get(toBlock)?.hash ?? (await fetchHeader(deps, toBlock)).hash;
  const entries: RollbackEntry[] = allPartitions(deps.cfg.PARTITIONS).map((partition) => ({
    kind: 'rollback',
    chainId: deps.cfg.CHAIN_ID,
    partition,
    toBlock,
    toBlockHash: hash,
    reorgId,
  }));
  const tail = await readTail(deps.jsm, deps.target);
  state.writer.resync(tail);
  let rest = entries;
  if (tail?.entry.kind === 'rollback' && tail.entry.reorgId === reorgId) {
    const done = tail.entry.partition;
    rest = entries.slice(entries.findIndex((e) => e.partition === done) + 1);
  }
  const seq = rest.length > 0 ? await state.writer.append(rest) : (tail?.seq ?? 0);
  state.writer.epoch = reorgId;
  await rewindCursor(deps.pg, deps.cfg.CHAIN_ID, toBlock, seq, reorgId);
  for (const n of [...state.headers.keys()]) if (n > toBlock) state.headers.delete(n);
  // A watched address still backfilling: its catch-up entries above toBlock are orphaned too.
  for (const job of state.jobs.values()) {
    if (job.joinedAt !== null || job.doneTo <= toBlock) continue;
    job.doneTo = toBlock;
    job.skipLogIndex = -1;
    await saveWatchProgress(deps.pg, deps.cfg.CHAIN_ID, job);
  }
  state.next = toBlock + 1;
  state.last = { number: toBlock, hash };
  state.seq = seq;
  deps.log.info(
    { reorgId, toBlock, appended: rest.length, streamSeq: seq },
    'rollback appended to the ledger',
  );
  return seq;
}
