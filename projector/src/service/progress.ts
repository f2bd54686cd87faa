import type { Logger } from '@tickstream/shared';

/**
 * Per-partition throughput: counts entries and blocks, and logs one structured line per interval
 * (`blocksPerSec`, `entriesPerSec`, `lag` in entries still in the stream, the last block), plus one
 * line when the partition first catches up with the ledger.
 *
 * @example
 * const progress = new Progress(log, '0', 5_000);
 * progress.record(info.entries, batch.blocks, info.pending, batch.block?.number);
 */
export class Progress {
  #entries = 0;
  #blocks = 0;
  #since = performance.now();
  #caughtUp = false;
  totalEntries = 0;
  totalBlocks = 0;

  constructor(
    private readonly log: Logger,
    private readonly partition: string,
    private readonly intervalMs: number,
  ) {}

  /** Records one handled batch. */
  record(entries: number, blocks: number, pending: number, block: number | undefined): void {
    this.#entries += entries;
    this.#blocks += blocks;
    this.totalEntries += entries;
    this.totalBlocks += blocks;
    const now = performance.now();
    const secs = (now - this.#since) / 1000;
    if (secs * 1000 >= this.intervalMs) {
      this.log.info(
        {
          partition: this.partition,
          block,
          blocksPerSec: Math.round(this.#blocks / secs),
          entriesPerSec: Math.round(this.#entries / secs),
          lag: pending,
        },
        'progress',
      );
      this.#entries = 0;
      this.#blocks = 0;
      this.#since = now;
    }
    if (pending === 0 && !this.#caughtUp) {
      this.#caughtUp = true;
      this.log.info(
        { partition: this.partition, block, entries: this.totalEntries, blocks: this.totalBlocks },
        'partition caught up with the ledger',
      );
    }
  }
}
