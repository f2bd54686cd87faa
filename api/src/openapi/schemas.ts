import { z } from 'zod';
import type { Readiness } from '../health/readiness';
import type { BlockRef } from '../read/checkpoints';
import type { PoolEvent } from '../read/events';
import type { NftPosition } from '../read/nft-positions';
import type { PoolDetail, PoolSummary } from '../read/pools';
import type { Position } from '../read/positions';
import type { Tick } from '../read/ticks';

/**
 * The response bodies as zod schemas: the OpenAPI document is generated from them, and the integration
 * tests parse every body with them (strict objects), so the document cannot drift from the responses.
 * Each is typed against the read layer's type, so a field added there without a schema fails tsc.
 */
export const schemas = z.registry<{ id: string; description: string }>();

const uint = z.string().regex(/^[0-9]+$/);
const int = z.string().regex(/^-?[0-9]+$/);
const address = z.string().regex(/^0x[0-9a-fA-F]{40}$/);
const hash = z.string().regex(/^0x[0-9a-fA-F]{64}$/);
const blockNumber = z.number().int().min(0).max(Number.MAX_SAFE_INTEGER);
const int24 = z
  .number()
  .int()
  .min(-(2 ** 23))
  .max(2 ** 23 - 1);

export const BlockRefSchema: z.ZodType<BlockRef> = z.strictObject({ number: blockNumber, hash });
schemas.add(BlockRefSchema, {
  id: 'BlockRef',
  description:
    'The block the answer reflects. Latest reads: the checkpoint of the partition holding the pool (lists: the ' +
    "lowest pool-partition checkpoint; NFT positions: the 'tokens' checkpoint). `?block=N` reads: number N and " +
    'the canonical hash known for N (a checkpoint or a non-orphaned log at N), else the hash of the newest ' +
    'non-orphaned row of the pool at or below N (no indexed log happened at N; its state carries forward).',
});

const poolSummaryShape = {
  address,
  token0: address,
  token1: address,
  fee: z.number().int().min(0),
  tickSpacing: z.number().int(),
  sqrtPriceX96: uint,
  tick: int24.nullable().describe('null until the pool is initialized'),
  liquidity: uint,
};

export const PoolSummarySchema: z.ZodType<PoolSummary> = z.strictObject(poolSummaryShape);
schemas.add(PoolSummarySchema, {
  id: 'PoolSummary',
  description: 'A pool in lists; big integers as decimal strings.',
});

export const PoolDetailSchema: z.ZodType<PoolDetail> = z.strictObject({
  ...poolSummaryShape,
  feeGrowthGlobal0X128: uint,
  feeGrowthGlobal1X128: uint,
  protocolFees: z.strictObject({ token0: uint, token1: uint }),
  feeProtocol: z
    .number()
    .int()
    .min(0)
    .max(255)
    .describe('slot0().feeProtocol: feeProtocol0 | feeProtocol1 << 4'),
});
schemas.add(PoolDetailSchema, {
  id: 'PoolDetail',
  description:
    'What slot0(), liquidity(), feeGrowthGlobal*X128() and protocolFees() return; all zero before Initialize.',
});

export const TickSchema: z.ZodType<Tick> = z.strictObject({
  tick: int24,
  liquidityGross: uint,
  liquidityNet: int,
  feeGrowthOutside0X128: uint,
  feeGrowthOutside1X128: uint,
});
schemas.add(TickSchema, { id: 'Tick', description: 'An initialized tick (liquidityGross > 0).' });

export const PositionSchema: z.ZodType<Position> = z.strictObject({
  owner: address,
  tickLower: int24,
  tickUpper: int24,
  liquidity: uint,
  feeGrowthInside0LastX128: uint,
  feeGrowthInside1LastX128: uint,
  tokensOwed0: uint,
  tokensOwed1: uint,
});
schemas.add(PositionSchema, {
  id: 'Position',
  description: 'A pool position, keyed by (owner, tickLower, tickUpper).',
});

export const NftPositionSchema: z.ZodType<NftPosition> = z.strictObject({
  tokenId: uint,
  owner: address,
  pool: address.nullable(),
  tickLower: int24.nullable(),
  tickUpper: int24.nullable(),
  liquidity: uint,
  burned: z.boolean(),
});
schemas.add(NftPositionSchema, { id: 'NftPosition', description: 'A NonfungiblePositionManager token.' });

export const EventSchema: z.ZodType<PoolEvent> = z.strictObject({
  type: z.string(),
  blockNumber,
  blockHash: hash,
  txHash: hash,
  txIndex: z.number().int().min(0),
  logIndex: z.number().int().min(0),
  args: z.record(z.string(), z.unknown()).describe('the decoded arguments as the projector stored them'),
});
schemas.add(EventSchema, { id: 'Event', description: 'A non-orphaned log of the pool.' });

const cursor = z.string().nullable().describe('pass as `cursor` for the next page; null on the last page');

export const PoolListResponse = z.strictObject({
  pools: z.array(PoolSummarySchema),
  nextCursor: cursor,
  block: BlockRefSchema,
});
schemas.add(PoolListResponse, { id: 'PoolListResponse', description: 'A page of pools in address order.' });

export const PoolResponse = z.strictObject({ pool: PoolDetailSchema, block: BlockRefSchema });
schemas.add(PoolResponse, { id: 'PoolResponse', description: 'One pool, now or as of `?block=N`.' });

export const TicksResponse = z.strictObject({ ticks: z.array(TickSchema), block: BlockRefSchema });
schemas.add(TicksResponse, { id: 'TicksResponse', description: 'The initialized ticks of a pool, by tick.' });

export const PositionsResponse = z.strictObject({
  positions: z.array(PositionSchema),
  block: BlockRefSchema,
});
schemas.add(PositionsResponse, {
  id: 'PositionsResponse',
  description: 'The positions of a pool, by (owner, tickLower, tickUpper).',
});

export const NftPositionResponse = z.strictObject({ position: NftPositionSchema, block: BlockRefSchema });
schemas.add(NftPositionResponse, { id: 'NftPositionResponse', description: 'One position-manager token.' });

export const EventsResponse = z.strictObject({
  events: z.array(EventSchema),
  nextCursor: cursor,
  block: BlockRefSchema,
});
schemas.add(EventsResponse, {
  id: 'EventsResponse',
  description: 'A page of events in chain order (block number, then log index).',
});

export const HealthResponse = z.strictObject({ status: z.literal('ok') });
schemas.add(HealthResponse, { id: 'HealthResponse', description: 'The process runs.' });

export const ReadyResponse = z.strictObject({
  status: z.literal('ready'),
  head: BlockRefSchema,
  maxLagBlocks: z.number().int().min(0),
  partitions: z.array(
    z.strictObject({ partition: z.string(), blockNumber, lag: z.number().int().min(0) }),
  ) satisfies z.ZodType<Readiness['partitions']>,
});
schemas.add(ReadyResponse, {
  id: 'ReadyResponse',
  description:
    'Every partition checkpoint is within API_READY_MAX_LAG_BLOCKS of the head: the highest of the ' +
    'checkpoints and of the head published in Redis under ts:<chainId>:head.',
});

export const ErrorResponse = z.strictObject({
  error: z.strictObject({
    code: z.string().describe('BAD_REQUEST (400), NOT_FOUND (404), NOT_READY (503), any other code is a 500'),
    message: z.string().describe('names the parameter at fault for 400s; generic for 500s'),
  }),
});
schemas.add(ErrorResponse, { id: 'Error', description: 'The one error envelope.' });
