import type { Partition } from '@tickstream/shared';
import { cloneModel, type PartitionModel } from '../apply';
import type { SnapshotRef } from './snapshots';

interface Kept {
  readonly seq: number;
  readonly blockNumber: number;
  readonly model: PartitionModel;
}

/**
 * The newest snapshots this process wrote, kept in memory as models (deep copies), so that a rewind in
 * the same process starts from a copy instead of reading and decoding `proj_snapshots` (a rewind's
 * biggest CPU cost: 10–60 ms per partition here, on the event loop). With a snapshot every 8 blocks
 * (SNAPSHOT_EVERY_BLOCKS), the default 10 cover any reorg up to 64 blocks deep; a model takes about as
 * much memory as its snapshot's JSON (~1 MB for a pool partition of the bench ledger). Postgres stays
 * the truth: an entry is used only for the snapshot row a rewind found there (same stream seq and
 * block); after a restart the cache is empty and rewinds read the table.
 *
 * @example
 * cache.put(0, { seq, blockNumber }, cloneModel(model)); // with the batch that wrote the snapshot
 * const model = cache.take(0, ref); // a copy to fold into, or null
 */
export class SnapshotCache {
  readonly #kept = new Map<string, Kept[]>();

  /** @param keep snapshots kept per partition (the newest) */
  constructor(readonly keep = 10) {}

  /** Keeps `model` (which the caller no longer changes) as the snapshot at `at`. */
  put(
    partition: Partition,
    at: { readonly seq: number; readonly blockNumber: number },
    model: PartitionModel,
  ): void {
    const list = this.#kept.get(String(partition)) ?? [];
    list.push({ seq: at.seq, blockNumber: at.blockNumber, model });
    list.sort((a, b) => a.seq - b.seq);
    while (list.length > this.keep) list.shift();
    this.#kept.set(String(partition), list);
  }

  /** A copy of the model of snapshot `ref`, or null when it is not kept here. */
  take(partition: Partition, ref: SnapshotRef): PartitionModel | null {
    const hit = this.#kept
      .get(String(partition))
      ?.find((k) => k.seq === ref.seq && k.blockNumber === ref.blockNumber);
    return hit === undefined ? null : cloneModel(hit.model);
  }

  /** Forgets the partition's snapshots above `block` (a rewind dropped them). */
  dropAbove(partition: Partition, block: number): void {
    const list = this.#kept.get(String(partition));
    if (list !== undefined)
      this.#kept.set(
        String(partition),
        list.filter((k) => k.blockNumber <= block),
      );
  }
}
