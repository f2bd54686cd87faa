import type { JetStreamManager } from '@nats-io/jetstream';
import { decodeEntry, entryBlock } from '@tickstream/shared';
import type { FeedTarget } from './feed';

/**
 * The block of the last entry of a partition's subject in the ledger (null while it has none): how far
 * the chain is known to have gone, whatever this partition has projected so far.
 *
 * @example await ledgerHead(jsm, feedTarget(cfg, 2)) // 1504
 */
export async function ledgerHead(jsm: JetStreamManager, target: FeedTarget): Promise<number | null> {
  const m = await jsm.streams.getMessage(target.stream, { last_by_subj: target.subject });
  return m === null ? null : entryBlock(decodeEntry(m.data));
}

/**
 * Blocks at or below which rows may be written `confirmed` when the ledger's head is `head`: FINALITY_DEPTH
 * below it, as the finality task would confirm them once the checkpoint reaches the head (a rewind
 * deeper than that halts; an operator's deeper rollback still orphans them). Null: none yet.
 *
 * @example confirmedThrough(1504, 64) === 1440
 */
export function confirmedThrough(head: number | null, depth: number): number | null {
  return head === null || head - depth < 0 ? null : head - depth;
}

/**
 * `ledgerHead` asked at most once per `maxAgeMs`: a partition asks before each commit, and a batch near
 * the head is a block. A failed ask keeps the last answer (the rows are then written unconfirmed and
 * the finality task confirms them).
 */
export class LedgerHead {
  #head: number | null = null;
  #at = Number.NEGATIVE_INFINITY;

  constructor(
    private readonly jsm: JetStreamManager,
    private readonly target: FeedTarget,
    private readonly maxAgeMs = 1_000,
  ) {}

  async get(): Promise<number | null> {
    const now = performance.now();
    if (now - this.#at < this.maxAgeMs) return this.#head;
    this.#at = now;
    try {
      this.#head = await ledgerHead(this.jsm, this.target);
    } catch {
      // kept: only the finality task's share of the work grows
    }
    return this.#head;
  }
}
