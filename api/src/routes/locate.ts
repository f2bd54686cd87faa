import { badRequest, notFound, notReady } from '../http/errors';
import type { Finality } from '../http/params';
import { type BlockRef, blockHashAt, getCheckpoint } from '../read/checkpoints';
import type { Db } from '../read/db';
import { type FoundPool, getPool } from '../read/pools';

export interface LocatedPool extends FoundPool {
  /** The block the answer reflects: the partition checkpoint, or block N of `?block=N`. */
  readonly block: BlockRef;
  /** The block to read history at, or undefined for the latest tables. */
  readonly at: number | undefined;
}

/** `?finality=confirmed`: answer at the partition checkpoint minus `depth` blocks. */
export interface FinalityOption {
  readonly finality: Finality;
  readonly depth: number;
}

/**
 * Finds a pool and the block to answer at. Without `n`: the checkpoint of the pool's partition. With
 * `n`: 400 when `n` is ahead of that checkpoint, 404 when the pool did not exist yet at `n`, else block
 * `n` with the hash `blockHashAt` picks.
 */
export async function locatePool(
  db: Db,
  chainId: number,
  address: string,
  n: number | undefined,
  finality: FinalityOption = { finality: 'latest', depth: 0 },
): Promise<LocatedPool> {
  const found = await getPool(db, chainId, address);
  if (found === undefined) throw notFound(`pool ${address} not found`);
  const { partition, createdBlock } = found.placement;
  const cp = await getCheckpoint(db, chainId, partition);
  if (cp === undefined) throw notReady(`partition ${partition} of pool ${address} has no checkpoint yet`);
  if (finality.finality === 'confirmed') {
    const confirmed = cp.block.number - finality.depth;
    if (n !== undefined && n > confirmed) {
      throw badRequest(`block: ${n} is not confirmed yet (confirmed up to ${confirmed})`);
    }
    if (confirmed < createdBlock) throw notFound(`pool ${address} has no confirmed state yet`);
    n ??= confirmed;
  }
  if (n === undefined) return { ...found, block: cp.block, at: undefined };
  if (n > cp.block.number) throw badRequest(`block: ${n} is ahead of the indexed head ${cp.block.number}`);
  if (n < createdBlock)
    throw notFound(`pool ${address} did not exist at block ${n} (created at block ${createdBlock})`);
  const hash = await blockHashAt(db, chainId, n, { address, partition });
  if (hash === undefined) throw notFound(`pool ${address} has no indexed state at or below block ${n}`);
  return { ...found, block: { number: n, hash }, at: n };
}
