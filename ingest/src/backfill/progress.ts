import type { Logger } from '@tickstream/shared';

/**
 * Backfill progress: blocks done of total, logs/s, ETA. A structured log line every `everyMs`
 * (and one at the end), so terminals and log pipelines see the same figures.
 */
export class Progress {
  readonly #started = Date.now();
  #lastLog = 0;
  #blocks = 0;
  #logs = 0;

  constructor(
    private readonly log: Logger,
    private readonly fromBlock: number,
    private readonly toBlock: number,
    private readonly everyMs = 2_000,
  ) {}

  add(blocks: number, logs: number): void {
    this.#blocks += blocks;
    this.#logs += logs;
    const now = Date.now();
    if (now - this.#lastLog >= this.everyMs) {
      this.#lastLog = now;
      this.log.info(this.figures(now), 'backfill progress');
    }
  }

  done(): void {
    this.log.info(this.figures(Date.now()), 'backfill done');
  }

  figures(now: number) {
    const total = this.toBlock - this.fromBlock + 1;
    const secs = Math.max((now - this.#started) / 1000, 1e-3);
    const blocksPerSec = this.#blocks / secs;
    return {
      fromBlock: this.fromBlock,
      toBlock: this.toBlock,
      blocksDone: this.#blocks,
      blocksTotal: total,
      percent: Math.round((1000 * this.#blocks) / Math.max(total, 1)) / 10,
      logs: this.#logs,
      logsPerSec: Math.round(this.#logs / secs),
      etaSec: blocksPerSec > 0 ? Math.round((total - this.#blocks) / blocksPerSec) : null,
    };
  }
}
