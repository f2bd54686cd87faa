import type { Address } from 'viem';
import type { DevnetAddresses, DevnetToken } from '../setup/deploy';
import { getSqrtRatioAtTick, Q96 } from './math';

/** Fee tiers the factory enables at deployment, with their tick spacing. */
export const TICK_SPACING: Readonly<Record<number, number>> = { 500: 10, 3000: 60, 10000: 200 };

/** A pool the workload creates. */
export interface PoolSpec {
  readonly a: string;
  readonly b: string;
  readonly fee: 500 | 3000 | 10000;
  /** `factory`: factory.createPool then pool.initialize; `npm`: createAndInitializePoolIfNecessary. */
  readonly via: 'factory' | 'npm';
  /** Share of the run after which the pool is created (0: at the start). */
  readonly createAt: number;
}

/** Seven pools over the three fee tiers; the last one appears mid-run, so indexers must discover it. */
export const POOL_SPECS: readonly PoolSpec[] = [
  { a: 'USDC', b: 'WETH', fee: 500, via: 'npm', createAt: 0 },
  { a: 'USDC', b: 'WETH', fee: 3000, via: 'factory', createAt: 0 },
  { a: 'DAI', b: 'USDC', fee: 500, via: 'factory', createAt: 0 },
  { a: 'WBTC', b: 'WETH', fee: 3000, via: 'npm', createAt: 0 },
  { a: 'DAI', b: 'WETH', fee: 3000, via: 'factory', createAt: 0 },
  { a: 'DAI', b: 'WBTC', fee: 10000, via: 'npm', createAt: 0 },
  { a: 'WBTC', b: 'USDC', fee: 10000, via: 'factory', createAt: 0.4 },
];

/** Value of the Actor's full-range seed position, in USD of token0. */
const SEED_USD = 50_000_000;

/** A spec resolved against a deployment: sorted tokens and initial price. */
export interface ResolvedPool {
  readonly spec: PoolSpec;
  readonly token0: DevnetToken;
  readonly token1: DevnetToken;
  readonly tickSpacing: number;
  /** Initial price, strictly inside a tick (halfway between two ticks). */
  readonly sqrtPriceX96: bigint;
  /** Liquidity of the full-range seed position at the initial price. */
  readonly seedLiquidity: bigint;
}

export function resolvePool(spec: PoolSpec, addresses: DevnetAddresses): ResolvedPool {
  const all = [addresses.weth, ...addresses.tokens];
  const find = (symbol: string): DevnetToken => {
    const t = all.find((x) => x.symbol === symbol);
    if (t === undefined) throw new RangeError(`no devnet token ${symbol}`);
    return t;
  };
  const [token0, token1] = sortTokens(find(spec.a), find(spec.b));
  // Raw price of token0 in token1 units: (usd0 / usd1) * 10^(d1 - d0).
  const price = (token0.usd / token1.usd) * 10 ** (token1.decimals - token0.decimals);
  const tick = Math.floor(Math.log(price) / Math.log(1.0001));
  const sqrtPriceX96 = (getSqrtRatioAtTick(tick) + getSqrtRatioAtTick(tick + 1)) / 2n;
  const amount0 = BigInt(Math.round(SEED_USD / token0.usd)) * 10n ** BigInt(token0.decimals);
  const tickSpacing = TICK_SPACING[spec.fee] ?? 60;
  return { spec, token0, token1, tickSpacing, sqrtPriceX96, seedLiquidity: (amount0 * sqrtPriceX96) / Q96 };
}

function sortTokens(a: DevnetToken, b: DevnetToken): [DevnetToken, DevnetToken] {
  return a.address.toLowerCase() < b.address.toLowerCase() ? [a, b] : [b, a];
}

export function sameAddress(a: Address, b: Address): boolean {
  return a.toLowerCase() === b.toLowerCase();
}
