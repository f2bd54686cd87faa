import type { Redis } from 'ioredis';

/** What api clients are told when the coordinator rolls the api back: the chain above `targetBlock` changed. */
export interface ReorgNotice {
  readonly reorgId: string;
  readonly targetBlock: number;
  readonly newBlockHash: string | null;
  readonly at: string;
}

/** Redis list of the latest notices (newest first) and the channel push subscribers listen on. */
export const reorgNoticesKey = (chainId: number) => `ts:${chainId}:reorgs`;

/**
 * Publishes a reorg notice: kept in a capped list (for clients that come back later) and sent on the
 * channel of the same name (for push). Idempotent enough: a repeated rollback step repeats the notice,
 * which says the same thing.
 *
 * @example await publishReorgNotice(redis, 31337, { reorgId, targetBlock: 120, newBlockHash, at });
 */
export async function publishReorgNotice(
  redis: Redis,
  chainId: number,
  notice: ReorgNotice,
  keep = 100,
): Promise<void> {
  const key = reorgNoticesKey(chainId);
  const body = JSON.stringify(notice);
  await redis
    .multi()
    .lpush(key, body)
    .ltrim(key, 0, keep - 1)
    .publish(key, body)
    .exec();
}
