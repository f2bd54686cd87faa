export interface RangeSizerOptions {
  /** The largest range, in blocks (BACKFILL_RANGE); also the first unless `firstBlocks` is given. */
  readonly maxBlocks: number;
  /**
   * The first range, in blocks (at most `maxBlocks`): small, so that the first answers, asked before
   * anything is known of the chain's density, cannot be huge; ranges double from there while small.
   */
  readonly firstBlocks?: number;
  /** Ranges grow (up to `maxBlocks`) while whole-size answers have fewer logs than this. */
  readonly targetLogs: number;
  /** An answer with more logs than this halves the ranges that follow (the log budget). */
  readonly maxLogs: number;
}

/**
 * After this many small answers without a refusal, the narrowest refused width is raised fourfold:
 * a refusal may have been about the density of that part of the chain, which changes.
 */
const RELAX_AFTER = 100;

/**
 * Pure: the size of the next `eth_getLogs` range. Starts at `firstBlocks` (default: the largest). A range the provider
 * refuses as too large halves the size and is remembered, so that growing back is a binary search
 * between the widest range answered and the narrowest refused rather than a refusal every other
 * range; an answer over the log budget halves the size; small answers double it, up to the
 * largest. Answers arrive out of order (ranges are fetched in parallel), so each is judged by its
 * own width.
 *
 * @example
 * const sizer = new RangeSizer({ maxBlocks: 2_000, targetLogs: 5_000, maxLogs: 20_000 });
 * sizer.tooLarge(2_000); // sizer.size === 1_000
 */
export class RangeSizer {
  #size: number;
  #smallest: number;
  /** The widest range answered since the last refusal that contradicted it. */
  #good = 0;
  /** The narrowest range refused (Infinity: none, or forgotten). */
  #bad = Number.POSITIVE_INFINITY;
  #smallSinceRefusal = 0;

  constructor(private readonly opts: RangeSizerOptions) {
    this.#size = Math.max(1, Math.min(opts.maxBlocks, opts.firstBlocks ?? opts.maxBlocks));
    this.#smallest = this.#size;
  }

  /** Blocks for the next range. */
  get size(): number {
    return this.#size;
  }

  /** The smallest size used so far. */
  get smallest(): number {
    return this.#smallest;
  }

  /** A range of `blocks` blocks was answered with `logs` logs. */
  answered(blocks: number, logs: number): void {
    if (blocks >= this.#bad) this.#bad = blocks + 1; // refused before, answered now: the limit moved
    this.#good = Math.max(this.#good, blocks);
    if (logs > this.opts.maxLogs) {
      this.#shrinkTo(Math.floor(blocks / 2));
      return;
    }
    if (logs >= this.opts.targetLogs || blocks < this.#size) return;
    if (++this.#smallSinceRefusal >= RELAX_AFTER) {
      this.#bad *= 4;
      this.#smallSinceRefusal = 0;
    }
    let next = Math.min(this.opts.maxBlocks, this.#size * 2);
    if (next >= this.#bad) next = Math.floor((this.#size + this.#bad) / 2);
    if (next > this.#size) this.#size = next;
  }

  /** A provider refused a range of `blocks` blocks as too large. */
  tooLarge(blocks: number): void {
    this.#bad = Math.min(this.#bad, blocks);
    this.#smallSinceRefusal = 0;
    if (this.#good >= blocks) this.#good = 0; // what was fine is not any more: halve quickly
    this.#shrinkTo(Math.max(Math.floor(blocks / 2), this.#good));
  }

  #shrinkTo(blocks: number): void {
    this.#size = Math.max(1, Math.min(this.#size, blocks));
    this.#smallest = Math.min(this.#smallest, this.#size);
  }
}
