import { blockEntries, groupByBlock } from '../route';
import { poolOf, rpcSettingsOf } from '../rpc';
import type { IngestDeps, IngestState } from '../service/deps';
import { saveCursor, savePools } from '../store';
import { completeSpan, discoverPools, type Fetched, type FetchOptions, fetchSpan } from './fetch';
import { Progress } from './progress';
import { RangeSizer } from './ranges';

/** Ranges fetched but not yet appended may exceed the ones in flight by this many (out-of-order answers). */
const EXTRA_READY = 2;

/**
 * The first range's width in blocks: asked before anything is known of the chain's density, so
 * small; ranges double from there while answers are small (`RangeSizer`).
 */
const FIRST_RANGE = 16;

/**
 * Appends every log of `[fromBlock, toBlock]` to the ledger without block bodies (logs carry their
 * block number and hash), from any start block. The pools the factories create in the range are
 * found first (`discoverPools`, one eth_getLogs of their PoolCreated), so that every range asks for
 * the right pools from the start. Ranges are sized adaptively (`RangeSizer`: FIRST_RANGE blocks, then
 * doubled up to BACKFILL_RANGE while answers are small, halved on "range too large" or answers over
 * the log budget), fetched BACKFILL_CONCURRENCY at a time from the pool's providers, and appended
 * strictly in order: range by range, each one's newly created pools saved to Postgres before any of
 * its logs are sent. The acknowledgements of one range and the cursor are awaited while the next
 * range is on the wire.
 *
 * Memory is bounded by BACKFILL_MAX_INFLIGHT_LOGS, not by the history's length: logs fetched and not
 * yet acknowledged by the ledger, plus an estimate (the last answers' logs per block) of those being
 * fetched, never exceed it when a new range is asked for, except that one range is always in flight.
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
  const budget = settings.BACKFILL_MAX_INFLIGHT_LOGS;
  const sizer = new RangeSizer({
    maxBlocks: deps.cfg.BACKFILL_RANGE,
    firstBlocks: FIRST_RANGE,
    targetLogs: settings.BACKFILL_TARGET_LOGS,
    maxLogs: settings.BACKFILL_MAX_LOGS,
  });
  const stats = { ranges: 0, splits: 0, poolsDiscovered: 0, waitsForMemory: 0 };
  // Logs per block of the latest answers: what a range about to be asked for is expected to hold
  // (before any answer: BACKFILL_TARGET_LOGS).
  let density: number | null = null;
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
    onAnswer: (blocks, logs) => {
      sizer.answered(blocks, logs);
      density = Math.max(logs / blocks, (density ?? 0) / 2);
    },
  };
  const progress = new Progress(deps.log, fromBlock, toBlock);

  // Pools created in the range and not appended yet: asked for by every range from their creation on.
  // A refusal of the factories' PoolCreated over some width is a refusal of any range as wide.
  const ahead = await discoverPools(deps, fromBlock, toBlock, completing);
  for (const pool of state.pools.keys()) ahead.delete(pool);

  // Ranges in block order, fetched or being fetched, not yet appended.
  const window: Promise<Fetched>[] = [];
  let inflight = 0;
  // Logs fetched and not yet acknowledged, and the estimate of those being fetched.
  let held = 0;
  let expected = 0;
  let nextFrom = fromBlock;
  let open = true;
  const refill = () => {
    while (open && inflight < concurrency && window.length < concurrency + EXTRA_READY) {
      if (nextFrom > toBlock || signal.aborted) return;
      const span = { fromBlock: nextFrom, toBlock: Math.min(nextFrom + sizer.size - 1, toBlock) };
      const estimate =
        density === null
          ? settings.BACKFILL_TARGET_LOGS
          : Math.min(
              Math.max(1, Math.ceil(density * (span.toBlock - span.fromBlock + 1))),
              settings.BACKFILL_MAX_LOGS,
            );
      // One range is always fetched: when none is being fetched or waits to be appended.
      if ((inflight > 0 || window.length > 0) && held + expected + estimate > budget) {
        stats.waitsForMemory++;
        return;
      }
      nextFrom = span.toBlock + 1;
      inflight++;
      expected += estimate;
      const pools = ahead.size === 0 ? state.pools : new Map([...state.pools, ...ahead]);
      const p = fetchSpan(deps, pools, span, fetching)
        .then((fetched) => {
          held += fetched.logs.length;
          return fetched;
        })
        .finally(() => {
          inflight--;
          expected -= estimate;
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
    maxInflightLogs: budget,
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
      const fetchedLogs = fetched.logs.length;
      const discovered = await completeSpan(deps, state.pools, fetched, completing);
      if (discovered.size > 0) {
        await savePools(deps.pg, deps.cfg.CHAIN_ID, discovered);
        for (const pool of discovered.keys()) ahead.delete(pool);
        stats.poolsDiscovered += discovered.size;
        deps.log.info({ pools: [...discovered.keys()] }, 'pools discovered');
      }
      const span = fetched.span as { fromBlock: number; toBlock: number };
      const logs = fetched.logs.length;
      held += logs - fetchedLogs; // logs a completion added
      const entries = groupByBlock(fetched.logs).flatMap((logs) => blockEntries(deps.route, logs, null));
      const acked = state.writer.send(entries);
      const previous = stored;
      stored = (async () => {
        await previous;
        try {
          const seq = await acked;
          if (seq > 0) state.seq = seq;
        } finally {
          held -= logs; // the range's frames are gone with its acknowledgement
          refill();
        }
        await saveCursor(deps.pg, deps.cfg.CHAIN_ID, span.toBlock, state.seq);
      })();
      stored.catch(() => {}); // awaited below
      refill();
      await previous;
      const lastLog = fetched.logs.at(-1);
      if (lastLog !== undefined) state.last = { number: lastLog.blockNumber, hash: lastLog.blockHash };
      state.next = span.toBlock + 1;
      stats.ranges++;
      progress.add(span.toBlock - span.fromBlock + 1, logs);
    }
  }
}
