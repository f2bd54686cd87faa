import type { WatchRequest } from '@tickstream/coordinator/client';
import type { Hex } from '@tickstream/shared';
import { catchUpStep } from '../backfill';
import type { WatchChanges, WatchRequests } from '../control';
import { deleteWatchJob, insertWatchJob, joinWatchJob, type WatchJob } from '../store';
import type { IngestDeps, IngestState } from './deps';

/**
 * Pure: the requests of the WATCH_ADDRESSES setting (`<address>[:pool|:factory][@<fromBlock>]`,
 * comma-separated; checked by the config schema), for setups without the control plane.
 *
 * @example staticWatchRequests('0xab…:factory@120') // [{ address: '0xab…', kind: 'factory', fromBlock: 120, … }]
 */
export function staticWatchRequests(setting: string): WatchRequest[] {
  if (setting.trim() === '') return [];
  return setting.split(',').map((item) => {
    const [head = '', from] = item.trim().split('@');
    const [address = '', kind] = head.split(':');
    return {
      address: address.toLowerCase(),
      kind: kind === 'factory' ? 'factory' : 'pool',
      fromBlock: from === undefined ? null : Number(from),
      addedAt: 'WATCH_ADDRESSES',
    };
  });
}

/** True when some watched address is still backfilling its history. */
export function catchingUp(state: IngestState): boolean {
  for (const job of state.jobs.values()) if (job.joinedAt === null) return true;
  return false;
}

/** Whether another source appends `pool` already: followed, or watched by a job of its own or a factory's. */
function takenBy(state: IngestState, self: WatchJob | null) {
  return (pool: Hex) =>
    state.pools.has(pool) ||
    [...state.jobs.values()].some((j) => j !== self && (j.address === pool || j.pools.has(pool)));
}

/**
 * Takes the operators' new watch requests into the state (and Postgres): a new address becomes a job
 * whose history starts at its `fromBlock` (default START_BLOCK); an address already followed is
 * recorded as joined at once (nothing to repeat). A removed request cancels a job not joined yet;
 * a joined address stays followed (the ledger never forgets what it follows).
 */
export async function takeWatchRequests(
  deps: IngestDeps,
  state: IngestState,
  changes: WatchChanges,
  requests: WatchRequests | null,
): Promise<void> {
  const chainId = deps.cfg.CHAIN_ID;
  for (const address of changes.removed) {
    const job = state.jobs.get(address);
    if (job === undefined || job.joinedAt !== null) continue;
    await deleteWatchJob(deps.pg, chainId, address);
    state.jobs.delete(address);
    deps.log.info({ address }, 'watch request removed: its history backfill is cancelled');
  }
  for (const req of changes.added) {
    const address = req.address as Hex;
    if (state.jobs.has(address)) continue;
    const fromBlock = req.fromBlock ?? deps.cfg.START_BLOCK;
    const known =
      address === deps.route.factory ||
      address === deps.route.positionManager ||
      (req.kind === 'pool' && takenBy(state, null)(address));
    const job: WatchJob = {
      address,
      kind: req.kind,
      fromBlock,
      // Nothing to backfill before the ledger's own start or after the block followed next.
      doneTo: Math.min(fromBlock, state.next) - 1,
      skipLogIndex: -1,
      joinedAt: null,
      logs: 0,
      pools: new Map(),
    };
    if (!(await insertWatchJob(deps.pg, chainId, job))) continue;
    state.jobs.set(address, job);
    if (known) {
      job.doneTo = state.next - 1;
      job.joinedAt = state.next;
      await joinWatchJob(deps.pg, chainId, job, new Map());
      deps.log.info({ address, kind: req.kind }, 'watch request for an address already followed');
    } else {
      deps.log.info(
        { address, kind: req.kind, fromBlock, toBlock: state.next - 1 },
        'watch request: backfilling the history of a new address while the head keeps following',
      );
    }
    requests?.report(job, true);
  }
}

/**
 * One unit of catch-up work: the next chunk of the oldest job still backfilling, or its join. Returns
 * false when no job is backfilling.
 */
export async function watchStep(
  deps: IngestDeps,
  state: IngestState,
  requests: WatchRequests | null,
): Promise<boolean> {
  const job = [...state.jobs.values()].find((j) => j.joinedAt === null);
  if (job === undefined) return false;
  const step = await catchUpStep(deps, state, job, takenBy(state, job));
  if (step.kind === 'stale') {
    deps.log.info(
      { address: job.address, block: step.block },
      'catch-up saw a block the follower holds with another hash; the follower goes first',
    );
    return false;
  }
  requests?.report(job, step.kind === 'joined');
  return true;
}
