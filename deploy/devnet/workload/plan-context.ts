import type { Address } from 'viem';
import type { PlannedTx } from '../chain/types';
import type { DevnetAddresses } from '../setup/deploy';
import type { WorkloadModel } from './model';
import type { Rng } from './prng';

/** Gas for a swap (crossing dozens of ticks costs up to ~1.7M), for pool creation, for the rest. */
export const GAS = { swap: 3_000_000n, createPool: 6_000_000n, default: 1_000_000n } as const;

/** 2100-01-01: a deadline that is never the reason for a revert. */
export const DEADLINE = 4_102_444_800n;

/** Account 0 deployed the factory and owns it: it alone sets and collects protocol fees. */
export const OWNER = 0;

/** What the planner knows while it fills one block. */
export interface PlanContext {
  /** The chain as of the previous block. */
  readonly model: WorkloadModel;
  readonly rng: Rng;
  readonly addresses: DevnetAddresses;
  readonly accountCount: number;
  /** Address (lower case) of account `i`. */
  address(i: number): Address;
  /** Index of an account, or undefined when `address` is not one of ours. */
  accountIndex(address: Address): number | undefined;
}

/** The block being planned. */
export interface BlockState {
  readonly txs: PlannedTx[];
  /** NFTs and Actor positions already used in this block (one operation each per block). */
  readonly locked: Set<string>;
  /** Pools whose price a swap of this block already moved (price limits are only set before that). */
  readonly moved: Set<string>;
}
