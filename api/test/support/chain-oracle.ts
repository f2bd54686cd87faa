import { nonfungiblePositionManagerAbi, uniswapV3PoolAbi } from '@tickstream/deploy/devnet';
import {
  type Address,
  createPublicClient,
  encodePacked,
  type Hex,
  http,
  keccak256,
  type PublicClient,
} from 'viem';

/** The contracts' own answers by eth_call at a block: the oracle every projected field is held to. */
export function oracleClient(rpcUrl: string): PublicClient {
  return createPublicClient({ transport: http(rpcUrl, { batch: { batchSize: 500 }, timeout: 120_000 }) });
}

export interface ChainPool {
  sqrtPriceX96: string;
  tick: number;
  feeProtocol: number;
  liquidity: string;
  feeGrowthGlobal0X128: string;
  feeGrowthGlobal1X128: string;
  protocolFees: { token0: string; token1: string };
}

export async function chainPool(c: PublicClient, pool: Address, block: bigint): Promise<ChainPool> {
  const read = <
    F extends 'slot0' | 'liquidity' | 'feeGrowthGlobal0X128' | 'feeGrowthGlobal1X128' | 'protocolFees',
  >(
    functionName: F,
  ) => c.readContract({ address: pool, abi: uniswapV3PoolAbi, functionName, blockNumber: block });
  const [slot0, liquidity, fg0, fg1, pf] = await Promise.all([
    read('slot0'),
    read('liquidity'),
    read('feeGrowthGlobal0X128'),
    read('feeGrowthGlobal1X128'),
    read('protocolFees'),
  ]);
  return {
    sqrtPriceX96: slot0[0].toString(),
    tick: slot0[1],
    feeProtocol: slot0[5],
    liquidity: liquidity.toString(),
    feeGrowthGlobal0X128: fg0.toString(),
    feeGrowthGlobal1X128: fg1.toString(),
    protocolFees: { token0: pf[0].toString(), token1: pf[1].toString() },
  };
}

export interface ChainTick {
  tick: number;
  liquidityGross: string;
  liquidityNet: string;
  feeGrowthOutside0X128: string;
  feeGrowthOutside1X128: string;
}

/**
 * Every initialized tick, found from the pool's own tickBitmap (every word of the tick range), so a
 * tick the projection misses is caught; then `ticks(t)` for each.
 */
export async function chainTicks(
  c: PublicClient,
  pool: Address,
  tickSpacing: number,
  block: bigint,
): Promise<ChainTick[]> {
  const maxWord = Math.floor(Math.floor(887272 / tickSpacing) / 256) + 1;
  const words: number[] = [];
  for (let w = -maxWord; w <= maxWord; w++) words.push(w);
  const bitmaps = await Promise.all(
    words.map((w) =>
      c.readContract({
        address: pool,
        abi: uniswapV3PoolAbi,
        functionName: 'tickBitmap',
        args: [w],
        blockNumber: block,
      }),
    ),
  );
  const ticks: number[] = [];
  bitmaps.forEach((bits, i) => {
    for (let b = 0; b < 256; b++)
      if ((bits >> BigInt(b)) & 1n) ticks.push((words[i]! * 256 + b) * tickSpacing);
  });
  const infos = await Promise.all(
    ticks.map((t) =>
      c.readContract({
        address: pool,
        abi: uniswapV3PoolAbi,
        functionName: 'ticks',
        args: [t],
        blockNumber: block,
      }),
    ),
  );
  return ticks.map((tick, i) => {
    const r = infos[i]!;
    return {
      tick,
      liquidityGross: r[0].toString(),
      liquidityNet: r[1].toString(),
      feeGrowthOutside0X128: r[2].toString(),
      feeGrowthOutside1X128: r[3].toString(),
    };
  });
}

export interface ChainPosition {
  owner: string;
  tickLower: number;
  tickUpper: number;
  liquidity: string;
  feeGrowthInside0LastX128: string;
  feeGrowthInside1LastX128: string;
  tokensOwed0: string;
  tokensOwed1: string;
}

/** `positions(keccak256(owner, tickLower, tickUpper))` for each key. */
export async function chainPositions(
  c: PublicClient,
  pool: Address,
  keys: readonly { owner: string; tickLower: number; tickUpper: number }[],
  block: bigint,
): Promise<ChainPosition[]> {
  const rows = await Promise.all(
    keys.map((k) =>
      c.readContract({
        address: pool,
        abi: uniswapV3PoolAbi,
        functionName: 'positions',
        args: [
          keccak256(
            encodePacked(['address', 'int24', 'int24'], [k.owner as Address, k.tickLower, k.tickUpper]),
          ),
        ],
        blockNumber: block,
      }),
    ),
  );
  return keys.map((k, i) => {
    const r = rows[i]!;
    return {
      owner: k.owner.toLowerCase(),
      tickLower: k.tickLower,
      tickUpper: k.tickUpper,
      liquidity: r[0].toString(),
      feeGrowthInside0LastX128: r[1].toString(),
      feeGrowthInside1LastX128: r[2].toString(),
      tokensOwed0: r[3].toString(),
      tokensOwed1: r[4].toString(),
    };
  });
}

/** Every (owner, range) that ever minted in the pool up to `block`, from the chain's Mint events. */
export async function chainPositionKeys(
  c: PublicClient,
  pool: Address,
  block: bigint,
): Promise<{ owner: string; tickLower: number; tickUpper: number }[]> {
  const mints = await c.getContractEvents({
    address: pool,
    abi: uniswapV3PoolAbi,
    eventName: 'Mint',
    fromBlock: 0n,
    toBlock: block,
  });
  const seen = new Map<string, { owner: string; tickLower: number; tickUpper: number }>();
  for (const m of mints) {
    const k = {
      owner: m.args.owner!.toLowerCase(),
      tickLower: m.args.tickLower!,
      tickUpper: m.args.tickUpper!,
    };
    seen.set(`${k.owner}:${k.tickLower}:${k.tickUpper}`, k);
  }
  return [...seen.values()];
}

export interface ChainNft {
  owner: string | null;
  tickLower: number;
  tickUpper: number;
  liquidity: string;
}

/** The position manager's view of a token, or null once burned (its getters revert). */
export async function chainNft(
  c: PublicClient,
  npm: Address,
  tokenId: bigint,
  block: bigint,
): Promise<ChainNft | null> {
  try {
    const [p, owner] = await Promise.all([
      c.readContract({
        address: npm,
        abi: nonfungiblePositionManagerAbi,
        functionName: 'positions',
        args: [tokenId],
        blockNumber: block,
      }),
      c.readContract({
        address: npm,
        abi: nonfungiblePositionManagerAbi,
        functionName: 'ownerOf',
        args: [tokenId],
        blockNumber: block,
      }),
    ]);
    return {
      owner: (owner as Hex).toLowerCase(),
      tickLower: p[5],
      tickUpper: p[6],
      liquidity: p[7].toString(),
    };
  } catch {
    return null;
  }
}
