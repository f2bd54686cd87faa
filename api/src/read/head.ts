import type { Logger } from '@tickstream/shared';
import type { Redis } from 'ioredis';
import type { BlockRef } from './checkpoints';

/** The part of a Redis client the api uses. */
export type HeadStore = Pick<Redis, 'get'>;

/** The Redis key where ingest or the projector may publish the chain head: `{ "number": n, "hash": h }`. */
export const headKey = (chainId: number) => `ts:${chainId}:head`;

/**
 * The chain head published in Redis, or undefined when there is no Redis, no key, a malformed value,
 * or Redis does not answer within `timeoutMs` (logged): the head is a hint, never a reason to fail.
 *
 * @example
 * await readPublishedHead(redis, 31337, log) // { number: 120, hash: '0x…' }
 */
export async function readPublishedHead(
  redis: HeadStore | undefined,
  chainId: number,
  log: Logger,
  timeoutMs = 250,
): Promise<BlockRef | undefined> {
  if (redis === undefined) return undefined;
  let timer: NodeJS.Timeout | undefined;
  try {
    const raw = await Promise.race([
      redis.get(headKey(chainId)),
      new Promise<never>((_, reject) => {
        timer = setTimeout(() => reject(new Error(`no answer within ${timeoutMs} ms`)), timeoutMs);
      }),
    ]);
    if (raw === null) return undefined;
    const head = parseHead(raw);
    if (head === undefined)
      log.warn({ key: headKey(chainId), raw: raw.slice(0, 200) }, 'malformed head in Redis, ignored');
    return head;
  } catch (err) {
    log.warn(
      { key: headKey(chainId), err: (err as Error).message },
      'cannot read the head from Redis, ignored',
    );
    return undefined;
  } finally {
    clearTimeout(timer);
  }
}

function parseHead(raw: string): BlockRef | undefined {
  let value: unknown;
  try {
    value = JSON.parse(raw);
  } catch {
    return undefined;
  }
  if (typeof value !== 'object' || value === null) return undefined;
  const { number, hash } = value as { number?: unknown; hash?: unknown };
  if (typeof number !== 'number' || !Number.isSafeInteger(number) || number < 0) return undefined;
  if (typeof hash !== 'string') return undefined;
  return { number, hash };
}
