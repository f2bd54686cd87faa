/** The chaos suite's harness (`Cluster`), the real-reorg helper for anvil and the chain oracles. */
export * from './chain';
export * from './harness';
export * from './oracle';
