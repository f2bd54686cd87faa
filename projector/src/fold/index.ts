/**
 * The pure folds of Tickstream: ledger events in, exact Uniswap V3 state out (pool, factory, position
 * manager tokens). No I/O; state is changed in place and returned; `dirty` records what to write.
 */
export * from './events';
export * from './factory';
export * from './pool';
export { type SwapSimulation, simulateSwap } from './simulate-swap';
export * from './state';
export * from './tokens';
