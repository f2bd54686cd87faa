/**
 * The Uniswap V3 devnet: anvil from npm, the real Uniswap V3 contracts, and a seeded, deterministic
 * workload that produces every pool and position-manager event at thousands of transactions a second.
 *
 * @example
 * import { findFreePort, runWorkload, startDevnet } from '@tickstream/deploy/devnet';
 *
 * const devnet = await startDevnet({ port: await findFreePort(), genesisTimestamp: 1_700_000_000 });
 * try {
 *   const stats = await runWorkload(devnet, { seed: 42, transactions: 3_000, txPerBlock: 100 });
 *   console.log(devnet.rpcUrl, devnet.addresses.factory, stats.poolLogs, stats.txPerSecond);
 * } finally {
 *   await devnet.stop();
 * }
 *
 * CLI: `npx tsx deploy/devnet/main.ts --seed 42 --transactions 3000` prints one JSON line with the RPC
 * URLs and the addresses, then keeps anvil running until Ctrl-C.
 */

export { createJsonRpc, type JsonRpc, type RpcCall } from './anvil/rpc';
export {
  type AnvilInstance,
  findFreePort,
  resolveAnvilBinary,
  type StartAnvilOptions,
  startAnvil,
} from './anvil/start';
export { BlockMiner, type BlockMinerOptions, type TimestampMode } from './chain/miner';
export type { MinedTx, PlannedTx, RpcLog, RpcReceipt } from './chain/types';
export {
  actorAbi,
  nonfungiblePositionManagerAbi,
  quoterV2Abi,
  swapRouterAbi,
  testTokenAbi,
  uniswapV3FactoryAbi,
  uniswapV3PoolAbi,
} from './contracts/abi';
export { POOL_INIT_CODE_HASH, type UniswapArtifact, uniswapArtifacts } from './contracts/artifacts';
export { type CompiledContract, compileDevnetContracts, type DevnetContracts } from './contracts/compile';
export { ANVIL_MNEMONIC, devnetAccounts } from './setup/accounts';
export {
  type DeployOptions,
  type Devnet,
  type DevnetAddresses,
  type DevnetToken,
  deployUniswap,
  type RunningDevnet,
  readDeployment,
  type StartDevnetOptions,
  startDevnet,
} from './setup/deploy';
export {
  CACHED_GENESIS_TIMESTAMP,
  type CachedState,
  type CachedStateOptions,
  cachedState,
  pruneCachedStates,
} from './state/cache';
export { stripTraces } from './state/strip';
export { getSqrtRatioAtTick } from './workload/math';
export { POOL_SPECS, type PoolSpec } from './workload/pools';
export { createRng, type Rng } from './workload/prng';
export {
  type ForeverOptions,
  runWorkload,
  runWorkloadForever,
  type WorkloadOptions,
  type WorkloadStats,
} from './workload/run';
