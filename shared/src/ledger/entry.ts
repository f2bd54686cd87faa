import type { Hex, LedgerPosition } from './position';

/**
 * A partition is a pool partition `0..P-1`, or `tokens` for the position manager's NFT events
 * (they name a token id, not a pool). Partition = hash(pool) mod P, see `partitionOfAddress`.
 */
export type Partition = number | 'tokens';

/** The pool a position-manager event acts on, taken from the pool event just before it in the same tx. */
export interface PoolContext {
  readonly pool: Hex;
  readonly tickLower: number;
  readonly tickUpper: number;
}

/** One raw log, exactly as the chain returned it, plus where it is routed. */
export interface LogEntry extends LedgerPosition {
  readonly kind: 'log';
  readonly chainId: number;
  readonly partition: Partition;
  readonly blockHash: Hex;
  readonly blockTimestamp: number | null;
  readonly txHash: Hex;
  readonly address: Hex;
  readonly topics: readonly Hex[];
  readonly data: Hex;
  /** Only on position-manager IncreaseLiquidity/DecreaseLiquidity/Collect: the pool it acts on. */
  readonly context?: PoolContext;
  /**
   * Only on the history of an address an operator added at runtime (`tickstream watch add`): a log
   * of a block the ledger has already passed. Such logs come as one catch-up segment per address,
   * in (block, logIndex) order, between whole blocks, and all before the address's first live log;
   * they have no seals. A consumer folds them into the state of their own pool (which nothing else
   * touched before), not into the block it is assembling.
   */
  readonly catchUp?: true;
}

/**
 * Closes a block in one partition: the partition's logs of this block are all before it. Consumers
 * apply whole blocks at seals and never expose half a block. `parentHash` and `timestamp` are null
 * where ingest did not fetch the header (deep backfill needs no block bodies).
 */
export interface SealEntry {
  readonly kind: 'seal';
  readonly chainId: number;
  readonly partition: Partition;
  readonly blockNumber: number;
  readonly blockHash: Hex;
  readonly parentHash: Hex | null;
  readonly timestamp: number | null;
  /** How many log entries of this block were routed to this partition. */
  readonly logCount: number;
}

/** A decided reorg: everything after `toBlock` that came before this entry is orphaned. Appended, never rewritten. */
export interface RollbackEntry {
  readonly kind: 'rollback';
  readonly chainId: number;
  readonly partition: Partition;
  readonly toBlock: number;
  readonly toBlockHash: Hex;
  readonly reorgId: string;
}

export type LedgerEntry = LogEntry | SealEntry | RollbackEntry;

/**
 * The block a ledger entry stands at: its block, or for a rollback the block it rolls back to.
 *
 * @example entryBlock({ kind: 'rollback', toBlock: 812, … }) === 812
 */
export function entryBlock(e: LedgerEntry): number {
  return e.kind === 'rollback' ? e.toBlock : e.blockNumber;
}
