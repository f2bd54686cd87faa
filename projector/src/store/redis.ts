import type { Logger, Partition } from '@tickstream/shared';
import type { Redis } from 'ioredis';
import type { BatchChanges, PoolRow } from '../apply';
import type { Checkpoint } from './checkpoint';

/** Redis keys the projector writes (latest state for the api and push; Postgres stays the truth). */
export const redisKeys = {
  pool: (chainId: number, address: string) => `ts:${chainId}:pool:${address}`,
  checkpoint: (chainId: number, partition: string) => `ts:${chainId}:checkpoint:${partition}`,
  head: (chainId: number) => `ts:${chainId}:head`,
};

/** Sets the head to ARGV[2] only when its number (ARGV[1]) is above the stored one: partitions race. */
const SET_HEAD_IF_HIGHER = `
local cur = redis.call('GET', KEYS[1])
if cur then
  local ok, v = pcall(cjson.decode, cur)
  if ok and type(v) == 'table' and tonumber(v.number) and tonumber(v.number) >= tonumber(ARGV[1]) then return 0 end
end
redis.call('SET', KEYS[1], ARGV[2])
return 1`;

/**
 * A pool as JSON, the shape the api serves (`PoolDetail`): big integers as decimal strings, `tick` null
 * until Initialize, plus the block it reflects.
 *
 * @example
 * poolJson(row); // '{"address":"0x…","sqrtPriceX96":"79228…","tick":0,…,"block":{"number":12,"hash":"0x…"}}'
 */
export function poolJson(r: PoolRow): string {
  return JSON.stringify({
    address: r.address,
    token0: r.token0,
    token1: r.token1,
    fee: r.fee,
    tickSpacing: r.tickSpacing,
    sqrtPriceX96: r.sqrtPriceX96.toString(),
    tick: r.tick,
    liquidity: r.liquidity.toString(),
    feeGrowthGlobal0X128: r.feeGrowthGlobal0X128.toString(),
    feeGrowthGlobal1X128: r.feeGrowthGlobal1X128.toString(),
    protocolFees: { token0: r.protocolFeesToken0.toString(), token1: r.protocolFeesToken1.toString() },
    feeProtocol: r.feeProtocol,
    block: r.block,
  });
}

/**
 * After a batch committed: the latest pool objects, the partition's checkpoint and the head (the highest
 * applied block of any partition), in one pipeline. A Redis failure is logged and swallowed: Postgres
 * holds the truth and the next batch writes these keys again.
 *
 * @example
 * await publishBatch(redis, batch, log);
 */
export async function publishBatch(redis: Redis | undefined, b: BatchChanges, log: Logger): Promise<boolean> {
  if (redis === undefined || b.block === null) return false;
  const p = redis.pipeline();
  for (const row of b.pools.values()) p.set(redisKeys.pool(b.chainId, row.address), poolJson(row));
  const block = { number: b.block.number, hash: b.block.hash };
  p.set(redisKeys.checkpoint(b.chainId, String(b.partition)), JSON.stringify({ seq: b.seq, ...block }));
  p.eval(SET_HEAD_IF_HIGHER, 1, redisKeys.head(b.chainId), String(block.number), JSON.stringify(block));
  return execLogged(
    p,
    log,
    { partition: String(b.partition), block: block.number },
    'redis publish failed (Postgres has the batch; the next batch republishes)',
  );
}

/** Runs a pipeline; a failure is logged and reported as false, never thrown (Postgres is the truth). */
async function execLogged(
  p: ReturnType<Redis['pipeline']>,
  log: Logger,
  context: Record<string, unknown>,
  message: string,
): Promise<boolean> {
  try {
    const results = (await p.exec()) ?? [];
    const failed = results.find(([err]) => err !== null);
    if (failed !== undefined) throw failed[0];
    return true;
  } catch (err) {
    log.warn({ ...context, err: (err as Error).message }, message);
    return false;
  }
}

/** Lowers the head to ARGV[2] when the stored one is above block ARGV[1] (a rewind below it). */
const LOWER_HEAD = `
local cur = redis.call('GET', KEYS[1])
if cur then
  local ok, v = pcall(cjson.decode, cur)
  if ok and type(v) == 'table' and tonumber(v.number) and tonumber(v.number) <= tonumber(ARGV[1]) then return 0 end
end
redis.call('SET', KEYS[1], ARGV[2])
return 1`;

/** What a rewind changed that Redis mirrors. */
export interface RewindPublish {
  readonly chainId: number;
  readonly partition: Partition;
  readonly checkpoint: Checkpoint;
  /** Pools whose latest row was rewritten. */
  readonly pools: readonly PoolRow[];
  /** Pools that did not exist at the target block. */
  readonly deletedPools: readonly string[];
}

/**
 * After a rewind committed: the rewritten pools (deleted ones removed), the partition's checkpoint,
 * and the head lowered to the checkpoint when it was above it. Failures are logged and swallowed, like
 * `publishBatch`.
 *
 * @example
 * await publishRewind(redis, { chainId, partition: 0, checkpoint, pools, deletedPools: [] }, log);
 */
export async function publishRewind(
  redis: Redis | undefined,
  r: RewindPublish,
  log: Logger,
): Promise<boolean> {
  if (redis === undefined) return false;
  const p = redis.pipeline();
  for (const row of r.pools) p.set(redisKeys.pool(r.chainId, row.address), poolJson(row));
  for (const address of r.deletedPools) p.del(redisKeys.pool(r.chainId, address));
  const block = { number: r.checkpoint.blockNumber, hash: r.checkpoint.blockHash };
  p.set(
    redisKeys.checkpoint(r.chainId, String(r.partition)),
    JSON.stringify({ seq: r.checkpoint.seq, ...block }),
  );
  p.eval(LOWER_HEAD, 1, redisKeys.head(r.chainId), String(block.number), JSON.stringify(block));
  return execLogged(
    p,
    log,
    { partition: String(r.partition), block: block.number },
    'redis publish after a rewind failed (Postgres has it; the next batch republishes)',
  );
}
