import type { BlockRef, Checkpoint } from '../read/checkpoints';

export interface PartitionLag {
  readonly partition: string;
  readonly blockNumber: number;
  readonly lag: number;
}

export interface Readiness {
  readonly ready: boolean;
  /** The head the lags are measured from; undefined when nothing is known at all. */
  readonly head: BlockRef | undefined;
  readonly partitions: PartitionLag[];
  /** The partitions expected but without a checkpoint. */
  readonly missing: string[];
  /** Why not ready, one line; empty when ready. */
  readonly reason: string;
}

/**
 * Decides readiness from the checkpoints and the published head (pure). The head is the highest of
 * the published head and every checkpoint; ready when there is at least one checkpoint, every
 * expected partition has one, and every checkpoint is within `maxLag` blocks of the head.
 *
 * @example
 * assessReadiness([{ partition: '0', block: { number: 90, hash: '0x…' } }], { number: 100, hash: '0x…' }, 5, [])
 * // { ready: false, reason: 'partition 0 at block 90 is 10 blocks behind head 100 (max 5)', ... }
 */
export function assessReadiness(
  checkpoints: readonly Checkpoint[],
  published: BlockRef | undefined,
  maxLag: number,
  expected: readonly string[],
): Readiness {
  let head = published;
  for (const cp of checkpoints) if (head === undefined || cp.block.number > head.number) head = cp.block;
  const partitions = checkpoints.map((cp) => ({
    partition: cp.partition,
    blockNumber: cp.block.number,
    lag: Math.max(0, (head?.number ?? 0) - cp.block.number),
  }));
  const have = new Set(checkpoints.map((cp) => cp.partition));
  const missing = expected.filter((p) => !have.has(p));
  const problems: string[] = [];
  if (checkpoints.length === 0) problems.push('no partition has a checkpoint yet');
  if (missing.length > 0) problems.push(`no checkpoint yet for partition ${missing.join(', ')}`);
  for (const p of partitions)
    if (p.lag > maxLag)
      problems.push(
        `partition ${p.partition} at block ${p.blockNumber} is ${p.lag} blocks behind head ${head?.number} (max ${maxLag})`,
      );
  return { ready: problems.length === 0, head, partitions, missing, reason: problems.join('; ') };
}

/** The partitions a deployment of `count` pool partitions must checkpoint: '0'..'count-1' and 'tokens'. */
export function expectedPartitions(count: number | undefined): string[] {
  if (count === undefined) return [];
  return [...Array.from({ length: count }, (_, i) => String(i)), 'tokens'];
}
