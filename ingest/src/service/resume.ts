import { entryBlock, type Hex, TickstreamError } from '@tickstream/shared';
import { completeSpan, fetchSpan, recoverFromTail } from '../backfill';
import { fetchHeader } from '../follow';
import { type LedgerTail, LedgerWriter, readTail } from '../publish';
import { blockEntries } from '../route';
import { loadCursor, loadHeaders, loadPools, loadWatchJobs, migrateIngest, saveHeader } from '../store';
import type { IngestDeps, IngestState } from './deps';

/**
 * Rebuilds ingest's state after any stop, clean or `kill -9`. The stream's last entry is the truth:
 * if it ends a block half-way, the rest of that block is re-derived (entry order is deterministic)
 * and appended; the cursor is trusted only where it agrees with the stream.
 */
export async function resume(deps: IngestDeps): Promise<IngestState> {
  await migrateIngest(deps.pg);
  const { CHAIN_ID: chainId, START_BLOCK: startBlock, FINALITY_DEPTH: depth } = deps.cfg;
  const [tail, cursor, pools, headers, jobs] = await Promise.all([
    readTail(deps.jsm, deps.target),
    loadCursor(deps.pg, chainId),
    loadPools(deps.pg, chainId),
    loadHeaders(deps.pg, chainId, 2 * depth),
    loadWatchJobs(deps.pg, chainId),
  ]);
  const factories = deps.route.factories as Set<Hex> | undefined;
  for (const job of jobs.values())
    if (job.kind === 'factory' && job.joinedAt !== null) factories?.add(job.address);
  const state: IngestState = {
    pools,
    headers: new Map(headers.map((h) => [h.number, h])),
    jobs,
    writer: new LedgerWriter(
      deps.nc,
      deps.target,
      tail,
      tail?.entry.kind === 'rollback' ? tail.entry.reorgId : (cursor?.epoch ?? null),
    ),
    next: startBlock,
    seq: tail?.seq ?? 0,
    last: null,
  };
  const catchingUp = recoverFromTail(jobs, tail);
  if (tail !== null && tail.entry.kind === 'log' && tail.entry.catchUp === true) {
    // The tail is a catch-up chunk of a watched address: it follows whole blocks, and the cursor
    // (saved before the chunk ran) holds the last of them.
    const last = cursor?.blockNumber ?? startBlock - 1;
    state.seq = tail.seq;
    state.next = Math.max(last + 1, startBlock);
    state.last = { number: last, hash: state.headers.get(last)?.hash ?? null };
    deps.log.info(
      { address: catchingUp?.address, doneTo: catchingUp?.doneTo, skipLogIndex: catchingUp?.skipLogIndex },
      'the ledger ends in a catch-up chunk; its job resumes right after it',
    );
  } else if (tail !== null) {
    const e = tail.entry;
    const block = entryBlock(e);
    state.last = { number: block, hash: e.kind === 'rollback' ? e.toBlockHash : e.blockHash };
    if (e.kind !== 'rollback' && !(e.kind === 'seal' && e.partition === 'tokens'))
      await finishBlock(deps, state, tail);
    state.next = Math.max(block + 1, startBlock);
  }
  if (cursor !== null && cursor.streamSeq === state.seq && cursor.blockNumber + 1 > state.next) {
    state.next = cursor.blockNumber + 1; // ranges after the last entry that had no logs
  }
  deps.log.info(
    { next: state.next, streamSeq: state.seq, pools: pools.size, headers: headers.length },
    tail === null ? 'starting on an empty ledger' : 'resuming from the ledger tail',
  );
  return state;
}

/** Appends the entries of the tail's block that come after the tail. */
async function finishBlock(deps: IngestDeps, state: IngestState, tail: LedgerTail): Promise<void> {
  const e = tail.entry as Exclude<LedgerTail['entry'], { kind: 'rollback' }>;
  const header = await fetchHeader(deps, e.blockNumber);
  if (header.hash !== e.blockHash) {
    throw new TickstreamError(
      'REORG_DETECTED',
      `reorg at block ${e.blockNumber} while ingest was down: the ledger has ${e.blockHash}, the chain ${header.hash}`,
      { details: { block: e.blockNumber } },
    );
  }
  const fetched = await fetchSpan(deps, state.pools, { block: { number: header.number, hash: header.hash } });
  await completeSpan(deps, state.pools, fetched);
  const entries = blockEntries(deps.route, fetched.logs, header);
  const at = entries.findIndex((x) => state.writer.idOf(x) === tail.msgId);
  if (at < 0) {
    throw new TickstreamError(
      'LEDGER_ERROR',
      `the ledger tail ${tail.msgId} is not an entry of block ${e.blockNumber} as the chain has it`,
    );
  }
  const rest = entries.slice(at + 1);
  deps.log.info(
    { block: e.blockNumber, appended: rest.length },
    'finishing a block cut short by the last stop',
  );
  if (rest.length > 0) state.seq = await state.writer.append(rest);
  if (state.headers.has(e.blockNumber - 1)) {
    // The block was being followed near the head: it joins the hash chain.
    await saveHeader(deps.pg, deps.cfg.CHAIN_ID, header, state.seq, 2 * deps.cfg.FINALITY_DEPTH);
    state.headers.set(header.number, header);
  }
}
