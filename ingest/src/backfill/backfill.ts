import { blockEntries, groupByBlock } from '../route';
import { poolOf, rpcSettingsOf } from '../rpc';
import type { IngestDeps, IngestState } from '../service/deps';
import { saveCursor, savePools } from '../store';
import { completeSpan, type Fetched, type FetchOptions, fetchSpan } from './fetch';
import { Progress } from './progress';
import { RangeSizer } from './ranges';

/** Ranges fetched but not yet appended may exceed the ones in flight by this many (out-of-order answers). */
const EXTRA_READY = 2;

/**
 * Appends every log of `[fromBlock, toBlock]` to the ledger without block bodies (logs carry their
 * block number and hash), from any start block. Ranges are sized adaptively (`RangeSizer`: halved on
 * "range too large" or answers over the log budget, doubled back up to BACKFILL_RANGE while small),
 * fetched BACKFILL_CONCURRENCY at a time from the pool's providers, and appended strictly in order:
 * range by range, each one's newly discovered pools saved to Postgres before any of its logs are
 * sent, and pools learned from an earlier range fetched for the later ones (`completeSpan`). The
 * acknowledgements of one range and the cursor are awaited while the next range is on the wire.
 * Blocks here are below the unfinalized window.
 */
export async function backfill(
  deps: IngestDeps,
  state: IngestState,
  fromBlock: number,
  toBlock: number,
  signal: AbortSignal,
): Promise<void> {
  const settings = rpcSettingsOf(deps.cfg);
  const concurrency = settings.BACKFILL_CONCURRENCY;
  const sizer = new RangeSizer({
    maxBlocks: deps.cfg.BACKFILL_RANGE,
    targetLogs: settings.BACKFILL_TARGET_LOGS,
    maxLogs: settings.BACKFILL_MAX_LOGS,
  });
  const stats = { ranges: 0, splits: 0, poolsDiscovered: 0 };
  // Completing a span (a few addresses) splits like fetching it, but says nothing about range sizes.
  const completing: FetchOptions = {
    onSplit: ({ blocks }) => {
      stats.splits++;
      sizer.tooLarge(blocks);
    },
    rangeBlocks: () => sizer.size,
  };
  const fetching: FetchOptions = {
    ...completing,
    onAnswer: (blocks, logs) => sizer.answered(blocks, logs),
  };
  const progress = new Progress(deps.log, fromBlock, toBlock);

  // Ranges in block order, fetched or being fetched, not yet appended.
  const window: Promise<Fetched>[] = [];
  let inflight = 0;
  let nextFrom = fromBlock;
  let open = true;
  const refill = () => {
    while (
      open &&
      inflight < concurrency &&
      window.length < concurrency + EXTRA_READY &&
      nextFrom <= toBlock &&
      !signal.aborted
    ) {
      const span = { fromBlock: nextFrom, toBlock: Math.min(nextFrom + sizer.size - 1, toBlock) };
      nextFrom = span.toBlock + 1;
      inflight++;
      const p = fetchSpan(deps, state.pools, span, fetching).finally(() => {
        inflight--;
        refill();
      });
      p.catch(() => {}); // awaited in order below
      window.push(p);
    }
  };
  refill();

  // The previous range's acknowledgements and cursor: awaited after the next range is on the wire.
  let stored: Promise<void> = Promise.resolve();
  try {
    await appendInOrder();
  } finally {
    open = false; // a failed backfill starts no more fetches
  }
  await stored;
  progress.done({
    ...stats,
    rangeBlocks: { last: sizer.size, smallest: sizer.smallest, largest: deps.cfg.BACKFILL_RANGE },
    concurrency,
    rpc: Object.fromEntries(
      poolOf(deps.client)
        .snapshot()
        .map((p) => [
          p.name,
          {
            requests: p.counts.requests,
            ok: p.counts.ok,
            latencyMs: p.latencyMs,
            demotions: p.demotions,
          },
        ]),
    ),
  });

  async function appendInOrder(): Promise<void> {
    while (window.length > 0 && !signal.aborted) {
      const fetched = await window.shift()!;
      refill();
      const discovered = await completeSpan(deps, state.pools, fetched, completing);
      if (discovered.size > 0) {
        await savePools(deps.pg, deps.cfg.CHAIN_ID, discovered);
        stats.poolsDiscovered += discovered.size;
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
      stats.ranges++;
      progress.add(span.toBlock - span.fromBlock + 1, fetched.logs.length);
    }
  }
}
