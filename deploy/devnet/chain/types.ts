import type { Address, Hex } from 'viem';

/** A log as the JSON-RPC returns it (quantities are hex strings). */
export interface RpcLog {
  readonly address: Address;
  readonly topics: readonly Hex[];
  readonly data: Hex;
  readonly blockNumber: Hex;
  readonly blockHash: Hex;
  readonly transactionHash: Hex;
  readonly transactionIndex: Hex;
  readonly logIndex: Hex;
  readonly removed?: boolean;
}

/** A transaction receipt as the JSON-RPC returns it. */
export interface RpcReceipt {
  readonly transactionHash: Hex;
  readonly transactionIndex: Hex;
  readonly blockNumber: Hex;
  readonly blockHash: Hex;
  readonly from: Address;
  readonly to: Address | null;
  readonly contractAddress: Address | null;
  readonly status: Hex;
  readonly gasUsed: Hex;
  readonly logs: readonly RpcLog[];
}

/** A transaction for the miner to sign and send: who sends it, where, what, and how much gas. */
export interface PlannedTx {
  /** Index of the sender in the miner's accounts. */
  readonly from: number;
  /** Omitted for a contract creation. */
  readonly to?: Address;
  readonly data: Hex;
  readonly gas: bigint;
  /** What the transaction does (`swap.exactInputSingle`, `npm.mint`...), for stats and errors. */
  readonly label: string;
}

/** A planned transaction once mined. */
export interface MinedTx {
  readonly tx: PlannedTx;
  readonly receipt: RpcReceipt;
  readonly ok: boolean;
}
