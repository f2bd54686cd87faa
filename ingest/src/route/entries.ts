import {
  allPartitions,
  type Hex,
  type LedgerEntry,
  type LogEntry,
  type Partition,
  type PoolContext,
  partitionOfAddress,
  TOPIC,
} from '@tickstream/shared';
import type { ChainHeader, ChainLog } from '../rpc';

export interface RouteContext {
  readonly chainId: number;
  readonly partitions: number;
  readonly factory: Hex;
  readonly positionManager: Hex;
  /** Factories an operator added at runtime (`tickstream watch add --kind factory`), once followed. */
  readonly factories?: ReadonlySet<Hex>;
}

/** The pool a factory PoolCreated log creates (last 20 bytes of the second data word). */
export function createdPool(log: ChainLog): Hex {
  return `0x${log.data.slice(2 + 64 + 24, 2 + 128)}` as Hex;
}

export function isPoolCreated(log: ChainLog, factory: Hex, factories?: ReadonlySet<Hex>): boolean {
  // The topic first: it rules out nearly every log without hashing its address for the set.
  return (
    log.topics[0] === TOPIC.PoolCreated && (log.address === factory || factories?.has(log.address) === true)
  );
}

const NPM_POOL_EVENTS = new Set<string>([
  TOPIC.NpmIncreaseLiquidity,
  TOPIC.NpmDecreaseLiquidity,
  TOPIC.NpmCollect,
]);
const POOL_POSITION_EVENTS = new Set<string>([TOPIC.PoolMint, TOPIC.PoolBurn, TOPIC.PoolCollect]);

function int24OfTopic(t: Hex): number {
  const v = Number.parseInt(t.slice(-6), 16);
  return v >= 0x800000 ? v - 0x1000000 : v;
}

function partitionOf(log: ChainLog, ctx: RouteContext): Partition {
  if (log.address === ctx.positionManager) return 'tokens';
  if (isPoolCreated(log, ctx.factory, ctx.factories))
    return partitionOfAddress(createdPool(log), ctx.partitions);
  return partitionOfAddress(log.address, ctx.partitions);
}

/**
 * The pool a position-manager IncreaseLiquidity/DecreaseLiquidity/Collect acts on: the nearest pool
 * Mint/Burn/Collect before it in the same transaction whose owner is the position manager. Pure: it
 * reads only the block's own logs.
 */
function poolContext(logs: readonly ChainLog[], i: number, npm: Hex): PoolContext | undefined {
  const me = logs[i]!;
  for (let j = i - 1; j >= 0; j--) {
    const l = logs[j]!;
    if (l.txHash !== me.txHash) return undefined;
    const t0 = l.topics[0];
    if (
      t0 !== undefined &&
      POOL_POSITION_EVENTS.has(t0) &&
      l.topics.length === 4 &&
      l.topics[1]!.endsWith(npm.slice(2))
    ) {
      return {
        pool: l.address,
        tickLower: int24OfTopic(l.topics[2]!),
        tickUpper: int24OfTopic(l.topics[3]!),
      };
    }
  }
  return undefined;
}

/**
 * The ledger entries of one block, in the order they are appended: every log (by logIndex) routed to
 * its partition, then one seal per partition. Deterministic for the same logs, so an interrupted
 * block can be finished exactly after a crash. Blocks without logs get seals only when `header` is
 * known (near the head), so that consumers see progress; deep backfill skips them.
 *
 * @example const entries = blockEntries(ctx, logsOfBlock, header ?? null);
 */
export function blockEntries(
  ctx: RouteContext,
  logs: readonly ChainLog[],
  header: ChainHeader | null,
): LedgerEntry[] {
  const first = logs[0];
  if (first === undefined && header === null) return [];
  const number = header?.number ?? first!.blockNumber;
  const hash = header?.hash ?? first!.blockHash;
  const counts = new Map<Partition, number>();
  const out: LedgerEntry[] = [];
  for (let i = 0; i < logs.length; i++) {
    const l = logs[i]!;
    const partition = partitionOf(l, ctx);
    counts.set(partition, (counts.get(partition) ?? 0) + 1);
    const entry: LogEntry = {
      kind: 'log',
      chainId: ctx.chainId,
      partition,
      blockNumber: l.blockNumber,
      blockHash: l.blockHash,
      blockTimestamp: l.blockTimestamp ?? header?.timestamp ?? null,
      txIndex: l.txIndex,
      txHash: l.txHash,
      logIndex: l.logIndex,
      address: l.address,
      topics: l.topics,
      data: l.data,
    };
    const t0 = l.topics[0];
    const context =
      partition === 'tokens' && t0 !== undefined && NPM_POOL_EVENTS.has(t0)
        ? poolContext(logs, i, ctx.positionManager)
        : undefined;
    out.push(context === undefined ? entry : { ...entry, context });
  }
  for (const partition of allPartitions(ctx.partitions)) {
    out.push({
      kind: 'seal',
      chainId: ctx.chainId,
      partition,
      blockNumber: number,
      blockHash: hash,
      parentHash: header?.parentHash ?? null,
      timestamp: header?.timestamp ?? first?.blockTimestamp ?? null,
      logCount: counts.get(partition) ?? 0,
    });
  }
  return out;
}

/** Splits logs sorted by block into runs of one block each. */
export function groupByBlock(logs: readonly ChainLog[]): ChainLog[][] {
  const out: ChainLog[][] = [];
  let cur: ChainLog[] = [];
  for (const l of logs) {
    if (cur.length > 0 && cur[0]!.blockNumber !== l.blockNumber) {
      out.push(cur);
      cur = [];
    }
    cur.push(l);
  }
  if (cur.length > 0) out.push(cur);
  return out;
}
