import factoryArtifact from '@uniswap/v3-core/artifacts/contracts/UniswapV3Factory.sol/UniswapV3Factory.json' with {
  type: 'json',
};
import poolArtifact from '@uniswap/v3-core/artifacts/contracts/UniswapV3Pool.sol/UniswapV3Pool.json' with {
  type: 'json',
};
import quoterV2Artifact from '@uniswap/v3-periphery/artifacts/contracts/lens/QuoterV2.sol/QuoterV2.json' with {
  type: 'json',
};
import positionManagerArtifact from '@uniswap/v3-periphery/artifacts/contracts/NonfungiblePositionManager.sol/NonfungiblePositionManager.json' with {
  type: 'json',
};
import swapRouterArtifact from '@uniswap/v3-periphery/artifacts/contracts/SwapRouter.sol/SwapRouter.json' with {
  type: 'json',
};
import { type Hex, keccak256 } from 'viem';

/** One Hardhat artifact as shipped in `@uniswap/v3-core` / `@uniswap/v3-periphery`. */
export interface UniswapArtifact {
  readonly contractName: string;
  readonly abi: readonly unknown[];
  readonly bytecode: Hex;
}

const asArtifact = (a: { contractName: string; abi: unknown[]; bytecode: string }): UniswapArtifact => ({
  contractName: a.contractName,
  abi: a.abi,
  bytecode: a.bytecode as Hex,
});

/** The real Uniswap V3 bytecode and ABIs from npm (v3-core 1.0.1, v3-periphery 1.4.4). */
export const uniswapArtifacts = {
  UniswapV3Factory: asArtifact(factoryArtifact),
  UniswapV3Pool: asArtifact(poolArtifact),
  NonfungiblePositionManager: asArtifact(positionManagerArtifact),
  SwapRouter: asArtifact(swapRouterArtifact),
  QuoterV2: asArtifact(quoterV2Artifact),
} as const;

/** `keccak256` of the pool creation code: what CREATE2 pool addresses are derived from. */
export const POOL_INIT_CODE_HASH: Hex = keccak256(uniswapArtifacts.UniswapV3Pool.bytecode);
