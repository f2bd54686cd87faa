import { blockEntries, groupByBlock } from '../route';
import type { IngestDeps, IngestState } from '../service/deps';
import { saveCursor, savePools } from '../store';
import { completeSpan, type Fetched, fetchSpan } from './fetch';
import { Progress } from './progress';

/** Ranges fetched ahead of the one being appended. */
const PREFETCH = 3;

/**
 * Appends every log of `[fromBlock, toBlock]` to the ledger, range by range, without block bodies:
 * logs carry their block number and hash. Fetches up to PREFETCH ranges ahead while appending in
 * order; saves the cursor after each range is stored. Blocks here are below the unfinalized window.
 */
export async function backfill(
  deps: IngestDeps,
  state: IngestState,
  fromBlock: number,
  toBlock: number,
  signal: AbortSignal,
): Promise<void> {
  const step = deps.cfg.BACKFILL_RANGE;
  const progress = new Progress(deps.log, fromBlock, toBlock);
  const queue: Promise<Fetched>[] = [];
  let nextFrom = fromBlock;
  const refill = () => {
    while (queue.length < PREFETCH && nextFrom <= toBlock && !signal.aborted) {
      const span = { fromBlock: nextFrom, toBlock: Math.min(nextFrom + step - 1, toBlock) };
      nextFrom = span.toBlock + 1;
      const p = fetchSpan(deps, state.pools, span);
      p.catch(() => {}); // awaited in order below
      queue.push(p);
    }
  };
  refill();
  // The previous range's acknowledgements and cursor: awaited after the next range is on the wire.
  let stored: Promise<void> = Promise.resolve();
  while (queue.length > 0 && !signal.aborted) {
    const fetched = await queue.shift()!;
    refill();
    const discovered = await completeSpan(deps, state.pools, fetched);
    if (discovered.size > 0) {
      await savePools(deps.pg, deps.cfg.CHAIN_ID, discovered);
      deps.log.info({ pools: [...discovered.keys()] }, 'pools discovered');
    }
    const span = fetched.span as { fromBlock: number; toBlock: number };
    const entries = groupByBlock(fetched.logs).flatMap((logs) => blockEntries(deps.route, logs, null));
    const acked = state.writer.send(entries);
    const previous = stored;
    stored = (async () => {
      await previous;
      const seq = await acked;
      if (seq > 0) state.seq = seq;
      await saveCursor(deps.pg, deps.cfg.CHAIN_ID, span.toBlock, state.seq);
    })();
    stored.catch(() => {}); // awaited below
    await previous;
    const lastLog = fetched.logs.at(-1);
    if (lastLog !== undefined) state.last = { number: lastLog.blockNumber, hash: lastLog.blockHash };
    state.next = span.toBlock + 1;
    progress.add(span.toBlock - span.fromBlock + 1, fetched.logs.length);
  }
  await stored;
  progress.done();
}
