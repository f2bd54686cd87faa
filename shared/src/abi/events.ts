import { parseAbi, toEventSelector } from 'viem';

/**
 * The events Tickstream indexes, as typed ABIs. They are checked against the compiled artifacts of
 * `@uniswap/v3-core` and `@uniswap/v3-periphery` by `abi.unit.test.ts`, so a typo cannot slip in.
 */
export const factoryEventsAbi = parseAbi([
  'event PoolCreated(address indexed token0, address indexed token1, uint24 indexed fee, int24 tickSpacing, address pool)',
  'event FeeAmountEnabled(uint24 indexed fee, int24 indexed tickSpacing)',
  'event OwnerChanged(address indexed oldOwner, address indexed newOwner)',
]);

export const poolEventsAbi = parseAbi([
  'event Initialize(uint160 sqrtPriceX96, int24 tick)',
  'event Mint(address sender, address indexed owner, int24 indexed tickLower, int24 indexed tickUpper, uint128 amount, uint256 amount0, uint256 amount1)',
  'event Burn(address indexed owner, int24 indexed tickLower, int24 indexed tickUpper, uint128 amount, uint256 amount0, uint256 amount1)',
  'event Swap(address indexed sender, address indexed recipient, int256 amount0, int256 amount1, uint160 sqrtPriceX96, uint128 liquidity, int24 tick)',
  'event Collect(address indexed owner, address recipient, int24 indexed tickLower, int24 indexed tickUpper, uint128 amount0, uint128 amount1)',
  'event Flash(address indexed sender, address indexed recipient, uint256 amount0, uint256 amount1, uint256 paid0, uint256 paid1)',
  'event IncreaseObservationCardinalityNext(uint16 observationCardinalityNextOld, uint16 observationCardinalityNextNew)',
  'event SetFeeProtocol(uint8 feeProtocol0Old, uint8 feeProtocol1Old, uint8 feeProtocol0New, uint8 feeProtocol1New)',
  'event CollectProtocol(address indexed sender, address indexed recipient, uint128 amount0, uint128 amount1)',
]);

export const positionManagerEventsAbi = parseAbi([
  'event IncreaseLiquidity(uint256 indexed tokenId, uint128 liquidity, uint256 amount0, uint256 amount1)',
  'event DecreaseLiquidity(uint256 indexed tokenId, uint128 liquidity, uint256 amount0, uint256 amount1)',
  'event Collect(uint256 indexed tokenId, address recipient, uint256 amount0, uint256 amount1)',
  'event Transfer(address indexed from, address indexed to, uint256 indexed tokenId)',
]);

/** topic0 of the events ingest routes on. */
export const TOPIC = {
  PoolCreated: toEventSelector(factoryEventsAbi[0]),
  PoolMint: toEventSelector(poolEventsAbi[1]),
  PoolBurn: toEventSelector(poolEventsAbi[2]),
  PoolCollect: toEventSelector(poolEventsAbi[4]),
  NpmIncreaseLiquidity: toEventSelector(positionManagerEventsAbi[0]),
  NpmDecreaseLiquidity: toEventSelector(positionManagerEventsAbi[1]),
  NpmCollect: toEventSelector(positionManagerEventsAbi[2]),
  NpmTransfer: toEventSelector(positionManagerEventsAbi[3]),
} as const;
