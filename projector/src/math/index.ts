/**
 * Uniswap V3 core math ported to `bigint`, one file per Solidity library (v3-core 1.0.x), pure and exact.
 * Solidity `require`s throw `TickstreamError('INTERNAL')`; unchecked arithmetic wraps with explicit masks.
 */
export * from './bit-math';
export * from './constants';
export * from './ensure';
export * from './full-math';
export * from './liquidity-math';
export * from './low-gas-safe-math';
export * from './position';
export * from './safe-cast';
export * from './sqrt-price-math';
export * from './swap-math';
export * from './tick';
export * from './tick-bitmap';
export * from './tick-math';
export * from './unsafe-math';
