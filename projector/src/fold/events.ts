/**
 * Decoded Uniswap V3 events as the fold receives them: one variant per Solidity event, arguments with the
 * same names, integers wider than 53 bits as `bigint` and the rest (int24 ticks, uint24 fees, uint8/uint16)
 * as `number`. `type` is the Solidity event name, except `ManagerCollect` for the position manager's
 * `Collect`, which differs from the pool's.
 */

export type Hex = `0x${string}`;

/** Where a log sits in the chain: its total order (block, tx, log), its fork (blockHash) and its emitter. */
export interface LogPosition {
  readonly blockNumber: number;
  readonly txIndex: number;
  readonly logIndex: number;
  readonly blockHash: Hex;
  /** The contract that emitted the log. */
  readonly address: Hex;
}

interface EventOf<T extends string> {
  readonly type: T;
  readonly log: LogPosition;
}

// UniswapV3Factory

export interface PoolCreatedEvent extends EventOf<'PoolCreated'> {
  readonly token0: Hex;
  readonly token1: Hex;
  readonly fee: number;
  readonly tickSpacing: number;
  readonly pool: Hex;
}

export interface FeeAmountEnabledEvent extends EventOf<'FeeAmountEnabled'> {
  readonly fee: number;
  readonly tickSpacing: number;
}

// UniswapV3Pool

export interface InitializeEvent extends EventOf<'Initialize'> {
  readonly sqrtPriceX96: bigint;
  readonly tick: number;
}

export interface MintEvent extends EventOf<'Mint'> {
  readonly sender: Hex;
  readonly owner: Hex;
  readonly tickLower: number;
  readonly tickUpper: number;
  readonly amount: bigint;
  readonly amount0: bigint;
  readonly amount1: bigint;
}

export interface BurnEvent extends EventOf<'Burn'> {
  readonly owner: Hex;
  readonly tickLower: number;
  readonly tickUpper: number;
  readonly amount: bigint;
  readonly amount0: bigint;
  readonly amount1: bigint;
}

export interface SwapEvent extends EventOf<'Swap'> {
  readonly sender: Hex;
  readonly recipient: Hex;
  /** int256: > 0 paid into the pool, < 0 paid out. */
  readonly amount0: bigint;
  readonly amount1: bigint;
  readonly sqrtPriceX96: bigint;
  readonly liquidity: bigint;
  readonly tick: number;
}

export interface CollectEvent extends EventOf<'Collect'> {
  readonly owner: Hex;
  readonly recipient: Hex;
  readonly tickLower: number;
  readonly tickUpper: number;
  readonly amount0: bigint;
  readonly amount1: bigint;
}

export interface FlashEvent extends EventOf<'Flash'> {
  readonly sender: Hex;
  readonly recipient: Hex;
  readonly amount0: bigint;
  readonly amount1: bigint;
  readonly paid0: bigint;
  readonly paid1: bigint;
}

export interface SetFeeProtocolEvent extends EventOf<'SetFeeProtocol'> {
  readonly feeProtocol0Old: number;
  readonly feeProtocol1Old: number;
  readonly feeProtocol0New: number;
  readonly feeProtocol1New: number;
}

export interface CollectProtocolEvent extends EventOf<'CollectProtocol'> {
  readonly sender: Hex;
  readonly recipient: Hex;
  readonly amount0: bigint;
  readonly amount1: bigint;
}

export interface IncreaseObservationCardinalityNextEvent
  extends EventOf<'IncreaseObservationCardinalityNext'> {
  readonly observationCardinalityNextOld: number;
  readonly observationCardinalityNextNew: number;
}

// NonfungiblePositionManager

export interface IncreaseLiquidityEvent extends EventOf<'IncreaseLiquidity'> {
  readonly tokenId: bigint;
  readonly liquidity: bigint;
  readonly amount0: bigint;
  readonly amount1: bigint;
}

export interface DecreaseLiquidityEvent extends EventOf<'DecreaseLiquidity'> {
  readonly tokenId: bigint;
  readonly liquidity: bigint;
  readonly amount0: bigint;
  readonly amount1: bigint;
}

/** The position manager's `Collect(tokenId, recipient, amount0, amount1)`. */
export interface ManagerCollectEvent extends EventOf<'ManagerCollect'> {
  readonly tokenId: bigint;
  readonly recipient: Hex;
  readonly amount0: bigint;
  readonly amount1: bigint;
}

/** ERC-721 `Transfer`; from = 0x0 on mint, to = 0x0 on burn. */
export interface TransferEvent extends EventOf<'Transfer'> {
  readonly from: Hex;
  readonly to: Hex;
  readonly tokenId: bigint;
}

export type FactoryEvent = PoolCreatedEvent | FeeAmountEnabledEvent;

export type PoolEvent =
  | InitializeEvent
  | MintEvent
  | BurnEvent
  | SwapEvent
  | CollectEvent
  | FlashEvent
  | SetFeeProtocolEvent
  | CollectProtocolEvent
  | IncreaseObservationCardinalityNextEvent;

export type ManagerEvent =
  | IncreaseLiquidityEvent
  | DecreaseLiquidityEvent
  | ManagerCollectEvent
  | TransferEvent;

export type UniswapEvent = FactoryEvent | PoolEvent | ManagerEvent;
