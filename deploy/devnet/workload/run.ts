import { TickstreamError } from '@tickstream/shared/errors';
import { createLogger } from '@tickstream/shared/log';
import type { Address, Hex } from 'viem';
import { createJsonRpc, type JsonRpc } from '../anvil/rpc';
import { BlockMiner, type BlockMinerOptions, type TimestampMode } from '../chain/miner';
import type { MinedTx, RpcLog } from '../chain/types';
import type { Devnet } from '../setup/deploy';
import { WorkloadModel } from './model';
import { BlockPlanner } from './plan';
import { createRng } from './prng';

/** Options of {@link runWorkload}. */
export interface WorkloadOptions {
  /** Same seed (on the same starting chain) → same transactions → same logs. */
  readonly seed: number;
  /** How many transactions to send (setup included). */
  readonly transactions: number;
  /** Transactions per mined block. Default 100. */
  readonly txPerBlock?: number;
  /** Default `deterministic` (parent timestamp + 1 s): block hashes repeat for a fixed genesis timestamp. */
  readonly timestamps?: TimestampMode;
  /** Called after each block with the stats so far. */
  readonly onBlock?: (stats: WorkloadStats) => void;
  /** Who signs (see {@link BlockMinerOptions.signer}); the chain is the same either way. Default `auto`. */
  readonly signer?: BlockMinerOptions['signer'];
  /** Stops after the current block. */
  readonly signal?: AbortSignal;
  /**
   * Accepted for readability at call sites that extend an earlier run. The workload always continues
   * from the chain as it finds it (its model is rebuilt from the chain's logs), so this changes nothing.
   */
  readonly continueFrom?: boolean;
}

/** What a workload did. */
export interface WorkloadStats {
  readonly seed: number;
  transactions: number;
  reverted: number;
  blocks: number;
  firstBlock: bigint | undefined;
  lastBlock: bigint | undefined;
  /** All logs of the workload's transactions (pools, position manager, factory, tokens). */
  logs: number;
  /** Logs emitted by pools. */
  poolLogs: number;
  /** Transactions by label (`router.exactInputSingle`, `npm.mint`...). */
  readonly byLabel: Record<string, number>;
  /** Reverted transactions by label: should stay rare. */
  readonly revertedByLabel: Record<string, number>;
  /** Hashes of the first reverted transactions (up to 20), to replay with `debug_traceTransaction`. */
  readonly revertedTxs: Hex[];
  /** Events by contract kind and name (`pool.Swap`, `npm.Transfer`, `token.Transfer`...). */
  readonly events: Record<string, number>;
  /** Swaps, swaps that crossed at least one initialized tick, ticks crossed in all, most in one swap. */
  readonly cross: { swaps: number; swapsCrossing: number; ticksCrossed: number; maxCrossed: number };
  maxGasUsed: number;
  /** Highest gas used by label: explicit gas limits must stay above these. */
  readonly maxGasByLabel: Record<string, number>;
  elapsedMs: number;
  txPerSecond: number;
  logsPerSecond: number;
  poolLogsPerSecond: number;
}

const log = createLogger('devnet-workload');

/**
 * Runs a seeded, deterministic Uniswap V3 workload on a devnet: creates 7 pools over the 500/3000/10000
 * tiers (one of them at 40% of the run), seeds them, then mixes NonfungiblePositionManager mints,
 * increases, decreases, collects, burns and NFT transfers; direct pool mints, burns (and zero-amount
 * pokes), collects, swaps and flashes through the Actor; SwapRouter exactInputSingle, exactOutputSingle
 * and two-hop exactInput/exactOutput; and protocol fees switched on and collected by the factory owner.
 *
 * Fast: transactions are signed locally with explicit nonces and gas, sent in one batch per block and
 * mined with `evm_mine` (automine is off meanwhile, and restored). Each block is planned from the logs
 * of the previous ones, so a reverted transaction changes nothing for determinism: it is counted.
 *
 * @example
 * const devnet = await startDevnet({ port: await findFreePort(), genesisTimestamp: 1_700_000_000 });
 * const stats = await runWorkload(devnet, { seed: 42, transactions: 3000, txPerBlock: 100 });
 * console.log(stats.txPerSecond, stats.events['pool.Swap'], stats.reverted);
 */
export async function runWorkload(devnet: Devnet, opts: WorkloadOptions): Promise<WorkloadStats> {
  const txPerBlock = opts.txPerBlock ?? 100;
  if (!Number.isInteger(opts.transactions) || opts.transactions < 0) {
    throw new TickstreamError(
      'DEVNET_ERROR',
      `transactions must be a non-negative integer, not ${opts.transactions}`,
    );
  }
  if (!Number.isInteger(txPerBlock) || txPerBlock < 1) {
    throw new TickstreamError('DEVNET_ERROR', `txPerBlock must be a positive integer, not ${txPerBlock}`);
  }
  const session = await openSession(devnet, opts.seed, {
    timestamps: opts.timestamps ?? 'deterministic',
    strict: true,
  });
  const { stats, planner, miner } = session;
  try {
    while (stats.transactions < opts.transactions && opts.signal?.aborted !== true) {
      const room = Math.min(txPerBlock, opts.transactions - stats.transactions);
      const txs = planner.plan(room, stats.transactions / opts.transactions).slice(0, room);
      if (txs.length === 0) {
        throw new TickstreamError('INTERNAL', 'the workload planned an empty block');
      }
      session.record(await miner.mine(txs));
      opts.onBlock?.(stats);
    }
  } finally {
    await miner.restore();
  }
  session.finish();
  log.info({ ...summary(stats), timings: miner.timings }, 'workload done');
  return stats;
}

/** Options of {@link runWorkloadForever}. */
export interface ForeverOptions {
  readonly seed: number;
  /** Steady rate of transactions. */
  readonly txPerSecond: number;
  /** One block per interval. Default 1000 ms. */
  readonly blockIntervalMs?: number;
  /** Stops the traffic (after the block in progress). */
  readonly signal: AbortSignal;
  readonly onBlock?: (stats: WorkloadStats) => void;
}

/**
 * Steady live traffic for `npm start`: one block every `blockIntervalMs` holding `txPerSecond` worth of
 * workload transactions, stamped with anvil's clock, until `signal` aborts. Picks up where a previous
 * workload left the chain (the model is rebuilt from its logs). Resolves with the stats when stopped.
 *
 * @example
 * const stop = new AbortController();
 * process.once('SIGINT', () => stop.abort());
 * await runWorkloadForever(devnet, { seed: 7, txPerSecond: 50, signal: stop.signal });
 */
export async function runWorkloadForever(devnet: Devnet, opts: ForeverOptions): Promise<WorkloadStats> {
  const interval = opts.blockIntervalMs ?? 1000;
  const perBlock = Math.max(1, Math.round((opts.txPerSecond * interval) / 1000));
  const session = await openSession(devnet, opts.seed, { timestamps: 'wallclock', strict: false });
  const { stats, planner, miner } = session;
  const started = Date.now();
  try {
    for (let block = 0; !opts.signal.aborted; block++) {
      session.record(await miner.mine(planner.plan(perBlock, 1)));
      opts.onBlock?.(stats);
      const wait = started + (block + 1) * interval - Date.now();
      if (wait > 0) await sleep(wait, opts.signal);
    }
  } finally {
    await miner.restore();
  }
  session.finish();
  log.info(summary(stats), 'live workload stopped');
  return stats;
}

interface Session {
  readonly stats: WorkloadStats;
  readonly planner: BlockPlanner;
  readonly miner: BlockMiner;
  record(mined: readonly MinedTx[]): void;
  finish(): void;
}

async function openSession(devnet: Devnet, seed: number, minerOpts: BlockMinerOptions): Promise<Session> {
  const rpc = createJsonRpc(devnet.rpcUrl);
  const { addresses } = devnet;
  const model = new WorkloadModel(addresses.factory, addresses.positionManager, addresses.actor);
  await syncModel(rpc, model, addresses.deployBlock);
  const startLogs = model.logs;
  const startPoolLogs = model.poolLogs;
  const startEvents = new Map(model.eventCounts);
  const startCross = { ...model.cross };
  const miner = await BlockMiner.create(rpc, devnet.accounts, minerOpts);
  const planner = new BlockPlanner(model, createRng(seed), addresses, devnet.accounts.length);
  planner.setAccounts(devnet.accounts.map((a) => a.address));
  const stats: WorkloadStats = {
    seed,
    transactions: 0,
    reverted: 0,
    blocks: 0,
    firstBlock: undefined,
    lastBlock: undefined,
    logs: 0,
    poolLogs: 0,
    byLabel: {},
    revertedByLabel: {},
    revertedTxs: [],
    events: {},
    cross: { swaps: 0, swapsCrossing: 0, ticksCrossed: 0, maxCrossed: 0 },
    maxGasUsed: 0,
    maxGasByLabel: {},
    elapsedMs: 0,
    txPerSecond: 0,
    logsPerSecond: 0,
    poolLogsPerSecond: 0,
  };
  const t0 = performance.now();
  const refresh = (): void => {
    stats.logs = model.logs - startLogs;
    stats.poolLogs = model.poolLogs - startPoolLogs;
    for (const [k, v] of model.eventCounts) {
      const n = v - (startEvents.get(k) ?? 0);
      if (n > 0) stats.events[k] = n;
    }
    stats.cross.swaps = model.cross.swaps - startCross.swaps;
    stats.cross.swapsCrossing = model.cross.swapsCrossing - startCross.swapsCrossing;
    stats.cross.ticksCrossed = model.cross.ticksCrossed - startCross.ticksCrossed;
    stats.cross.maxCrossed = model.cross.maxCrossed;
    stats.elapsedMs = performance.now() - t0;
    const seconds = stats.elapsedMs / 1000;
    stats.txPerSecond = Math.round(stats.transactions / seconds);
    stats.logsPerSecond = Math.round(stats.logs / seconds);
    stats.poolLogsPerSecond = Math.round(stats.poolLogs / seconds);
  };
  return {
    stats,
    planner,
    miner,
    record(mined) {
      for (const { tx, receipt, ok } of mined) {
        stats.transactions++;
        stats.byLabel[tx.label] = (stats.byLabel[tx.label] ?? 0) + 1;
        if (!ok) {
          stats.reverted++;
          stats.revertedByLabel[tx.label] = (stats.revertedByLabel[tx.label] ?? 0) + 1;
          if (stats.revertedTxs.length < 20) stats.revertedTxs.push(receipt.transactionHash);
        }
        const gas = Number(receipt.gasUsed);
        stats.maxGasUsed = Math.max(stats.maxGasUsed, gas);
        stats.maxGasByLabel[tx.label] = Math.max(stats.maxGasByLabel[tx.label] ?? 0, gas);
        model.applyTransaction(receipt.logs);
        const block = BigInt(receipt.blockNumber);
        stats.firstBlock ??= block;
        if (stats.lastBlock === undefined || block > stats.lastBlock) {
          stats.lastBlock = block;
          stats.blocks++;
        }
      }
      refresh();
    },
    finish: refresh,
  };
}

/**
 * Folds the chain's history since `fromBlock` into the model: factory logs first (to learn the pools),
 * then the position manager's and the pools' logs, a range of blocks at a time.
 */
async function syncModel(rpc: JsonRpc, model: WorkloadModel, fromBlock: bigint): Promise<void> {
  const head = BigInt(await rpc.request<Hex>('eth_blockNumber'));
  if (head < fromBlock) return;
  const hex = (n: bigint): Hex => `0x${n.toString(16)}`;
  const factoryLogs = await rpc.request<RpcLog[]>('eth_getLogs', [
    { address: model.factory, fromBlock: hex(fromBlock), toBlock: hex(head) },
  ]);
  const poolCreated = factoryLogs.filter((l) => l.topics.length === 4);
  model.applyTransaction(poolCreated);
  const addresses: Address[] = [model.positionManager, ...model.pools.keys()];
  const step = 100n;
  for (let from = fromBlock; from <= head; from += step) {
    const to = from + step - 1n < head ? from + step - 1n : head;
    const logs = await rpc.request<RpcLog[]>('eth_getLogs', [
      { address: addresses, fromBlock: hex(from), toBlock: hex(to) },
    ]);
    let start = 0;
    for (let i = 1; i <= logs.length; i++) {
      if (i === logs.length || logs[i]?.transactionHash !== logs[start]?.transactionHash) {
        model.applyTransaction(logs.slice(start, i));
        start = i;
      }
    }
  }
}

function summary(stats: WorkloadStats): Record<string, unknown> {
  return {
    seed: stats.seed,
    transactions: stats.transactions,
    reverted: stats.reverted,
    blocks: stats.blocks,
    poolLogs: stats.poolLogs,
    txPerSecond: stats.txPerSecond,
    poolLogsPerSecond: stats.poolLogsPerSecond,
  };
}

function sleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    const timer = setTimeout(done, ms);
    function done(): void {
      clearTimeout(timer);
      signal.removeEventListener('abort', done);
      resolve();
    }
    signal.addEventListener('abort', done, { once: true });
  });
}
