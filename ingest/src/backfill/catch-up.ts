import { type Hex, type LogEntry, partitionOfAddress, TOPIC } from '@tickstream/shared';
import type { LedgerTail } from '../publish';
import { createdPool, isPoolCreated, type RouteContext } from '../route';
import { type ChainLog, withRetry } from '../rpc';
import type { IngestDeps, IngestState } from '../service/deps';
import { joinWatchJob, saveCursor, saveWatchProgress, type WatchJob } from '../store';
import { fetchLogs, mergeLogs } from './fetch';

/**
 * Catch-up: the history of an address an operator added at runtime (`tickstream watch add`).
 *
 * The ledger is ordered by block, and the address's old logs belong to blocks the ledger has passed.
 * They are appended as a catch-up segment: log entries flagged `catchUp`, with their own block
 * positions, in (block, logIndex) order, in chunks between two whole blocks of the live ledger, each
 * routed to its pool's partition like any log (a PoolCreated to the pool it creates). The address is
 * not followed live while its segment grows; once the segment reaches the block before the one the
 * follower appends next, the address joins the follower (`join`), so every log of the address is in
 * the ledger exactly once, and all its catch-up entries come before its first live entry. A pool's
 * state depends only on its own logs and its PoolCreated, so a consumer can fold the segment into
 * that pool alone, whatever came between.
 */

/** Pure: the catch-up entries of `logs` (sorted by block and logIndex). */
export function catchUpEntries(route: RouteContext, logs: readonly ChainLog[]): LogEntry[] {
  return logs.map((l) => ({
    kind: 'log',
    chainId: route.chainId,
    partition:
      l.address === route.positionManager
        ? 'tokens'
        : partitionOfAddress(l.topics[0] === POOL_CREATED ? createdPool(l) : l.address, route.partitions),
    blockNumber: l.blockNumber,
    blockHash: l.blockHash,
    blockTimestamp: l.blockTimestamp ?? null,
    txIndex: l.txIndex,
    txHash: l.txHash,
    logIndex: l.logIndex,
    address: l.address,
    topics: l.topics,
    data: l.data,
    catchUp: true,
  }));
}

const POOL_CREATED: string = TOPIC.PoolCreated;

/** What one step of a job did. */
export type CatchUpStep =
  | { readonly kind: 'appended'; readonly fromBlock: number; readonly toBlock: number; readonly logs: number }
  | { readonly kind: 'joined'; readonly atBlock: number }
  | { readonly kind: 'stale'; readonly block: number };

/** `factory()` of a Uniswap V3 pool (selector 0xc45a0155), or null when the address does not answer it. */
async function parentFactory(deps: IngestDeps, pool: Hex): Promise<Hex | null> {
  try {
    const word = await withRetry(
      deps.log,
      `factory() of ${pool}`,
      { retries: deps.cfg.RPC_MAX_RETRIES, signal: deps.signal },
      () =>
        deps.client.request({
          method: 'eth_call',
          params: [{ to: pool, data: '0xc45a0155' }, 'latest'],
        }),
    );
    return typeof word === 'string' && word.length === 66 ? (`0x${word.slice(26)}` as Hex) : null;
  } catch {
    return null;
  }
}

/** The factories of watched pools, learned once per process (deterministic: a pool's factory is immutable). */
const factoriesOfPools = new Map<Hex, Hex | null>();

/**
 * One step of a watch job: appends the next chunk of its history (at most BACKFILL_RANGE blocks, up
 * to the block before `state.next`) or, when the history has reached it, joins the job's addresses
 * to the follower. Call it only between two units of the main loop (whole blocks in the ledger).
 * `taken` tells whether another source already appends an address (a factory's new pool that is
 * followed or watched on its own is left to it).
 */
export async function catchUpStep(
  deps: IngestDeps,
  state: IngestState,
  job: WatchJob,
  taken: (pool: Hex) => boolean,
): Promise<CatchUpStep> {
  const target = state.next - 1;
  const chainId = deps.cfg.CHAIN_ID;
  if (job.doneTo >= target) return join(deps, state, job);
  const span = { fromBlock: job.doneTo + 1, toBlock: Math.min(target, job.doneTo + deps.cfg.BACKFILL_RANGE) };
  let logs: ChainLog[];
  const discovered = new Map<Hex, number>();
  if (job.kind === 'pool') {
    if (!factoriesOfPools.has(job.address))
      factoriesOfPools.set(job.address, await parentFactory(deps, job.address));
    const factory = factoriesOfPools.get(job.address) ?? null;
    const asked = factory === null ? [job.address] : [job.address, factory];
    logs = (await fetchLogs(deps, span, asked)).filter(
      (l) =>
        l.address === job.address ||
        (l.topics[0] === POOL_CREATED && createdPool(l) === job.address && l.address === factory),
    );
  } else {
    const pools = [...job.pools].filter(([, created]) => created <= span.toBlock).map(([p]) => p);
    logs = await fetchLogs(deps, span, [job.address, ...pools]);
    for (const l of logs) {
      if (!isPoolCreated(l, job.address)) continue;
      const pool = createdPool(l);
      if (!job.pools.has(pool) && !taken(pool)) discovered.set(pool, l.blockNumber);
    }
    if (discovered.size > 0) logs = mergeLogs(logs, await fetchLogs(deps, span, [...discovered.keys()]));
    // A pool followed on its own (or by another job) is that source's: its logs are not repeated here.
    logs = logs.filter(
      (l) => l.address === job.address || job.pools.has(l.address) || discovered.has(l.address),
    );
  }
  if (job.skipLogIndex >= 0) {
    const skip = job.skipLogIndex;
    logs = logs.filter((l) => l.blockNumber !== span.fromBlock || l.logIndex > skip);
  }
  // Near the head the follower holds the hash chain: a log of another fork is not appended.
  for (const l of logs) {
    const h = state.headers.get(l.blockNumber);
    if (h !== undefined && h.hash !== l.blockHash) return { kind: 'stale', block: l.blockNumber };
  }
  if (discovered.size > 0) {
    await saveWatchProgress(deps.pg, chainId, job, discovered);
    for (const [pool, created] of discovered) job.pools.set(pool, created);
    deps.log.info(
      { factory: job.address, pools: [...discovered.keys()] },
      'watched factory: pools discovered',
    );
  }
  if (logs.length > 0) {
    state.seq = await state.writer.append(catchUpEntries(deps.route, logs));
    // The cursor keeps its block (the last live one); its sequence now covers the chunk.
    await saveCursor(deps.pg, chainId, state.next - 1, state.seq);
  }
  job.doneTo = span.toBlock;
  job.skipLogIndex = -1;
  job.logs += logs.length;
  // Caught up: join before the follower appends another block, or a busy chain is chased forever.
  if (job.doneTo >= target) return join(deps, state, job);
  await saveWatchProgress(deps.pg, chainId, job);
  return { kind: 'appended', fromBlock: span.fromBlock, toBlock: span.toBlock, logs: logs.length };
}

/** The job's addresses join the follower from `state.next` on (see `joinWatchJob`). */
async function join(deps: IngestDeps, state: IngestState, job: WatchJob): Promise<CatchUpStep> {
  job.joinedAt = state.next;
  const pools = new Map<Hex, number>(job.kind === 'pool' ? [[job.address, job.fromBlock]] : job.pools);
  await joinWatchJob(deps.pg, deps.cfg.CHAIN_ID, job, pools);
  for (const [pool, created] of pools) state.pools.set(pool, created);
  if (job.kind === 'factory') (deps.route.factories as Set<Hex> | undefined)?.add(job.address);
  deps.log.info(
    { address: job.address, kind: job.kind, joinedAt: state.next, logs: job.logs, pools: pools.size },
    'watched address caught up: followed with the head from now on',
  );
  return { kind: 'joined', atBlock: state.next };
}

/**
 * After a stop: when the ledger's last entry is a catch-up log, the chunk it belongs to may have been
 * cut short, or appended without its progress saved. The job that owns it resumes right after it.
 */
export function recoverFromTail(jobs: ReadonlyMap<Hex, WatchJob>, tail: LedgerTail | null): WatchJob | null {
  const e = tail?.entry;
  if (e === undefined || e.kind !== 'log' || e.catchUp !== true) return null;
  const created = e.topics[0] === POOL_CREATED ? (`0x${e.data.slice(2 + 64 + 24, 2 + 128)}` as Hex) : null;
  for (const job of jobs.values()) {
    if (job.joinedAt !== null) continue;
    const owns =
      e.address === job.address || job.pools.has(e.address) || (created !== null && created === job.address);
    if (!owns) continue;
    if (
      e.blockNumber > job.doneTo + 1 ||
      (e.blockNumber === job.doneTo + 1 && e.logIndex > job.skipLogIndex)
    ) {
      job.doneTo = e.blockNumber - 1;
      job.skipLogIndex = e.logIndex;
    }
    return job;
  }
  return null;
}
