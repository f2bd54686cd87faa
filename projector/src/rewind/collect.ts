import { BINARY_LOG_V1, decodeEntry, type LedgerEntry, TickstreamError } from '@tickstream/shared';
import { BlockAssembler, type SealedBlock } from '../consume';

/** How a replay went: for logs and measurements. */
export interface ReplayStats {
  /** Entries pushed (logs, seals, rollbacks). */
  readonly entries: number;
  /** Sealed blocks collected, including those later dropped by a rollback entry. */
  readonly blocks: number;
  /** Rollback entries met. */
  readonly rollbacks: number;
  /** Blocks dropped by those rollback entries (an earlier reorg's orphaned fork). */
  readonly dropped: number;
}

/** The canonical blocks collected, split at a rewind's target. */
export interface CanonicalSplit {
  /** Blocks at or below the target, in order: to fold. */
  readonly fold: readonly SealedBlock[];
  /** Blocks above the target (the fork being orphaned). */
  readonly above: readonly SealedBlock[];
}

/**
 * Pure: gathers a partition's ledger entries, from a snapshot's stream sequence on, into its canonical
 * sealed blocks, as the ledger defines them: a rollback entry drops the blocks above its `toBlock`
 * collected before it. Collection stops at the rollback entry of `stopAtReorg` (what comes after it is
 * the new fork, to be consumed normally). Blocks are whole (BlockAssembler); a block still missing its
 * seal at the end is not collected.
 *
 * @example
 * const c = new ReplayCollector(snapshot.seq, 'r-105-0xab12');
 * for (const [seq, e] of entries) if (c.push(seq, e)) break;
 * const { fold } = c.split(100);
 */
export class ReplayCollector {
  readonly #asm: BlockAssembler;
  readonly #stopAtReorg: string | null;
  readonly #foldUpTo: number | null;
  /** Logs of the block above `foldUpTo` being counted, not decoded. */
  #light: { block: number; logs: number } | null = null;
  #blocks: SealedBlock[] = [];
  #unitSeq: number;
  #stopped = false;
  #lowestRollback: number | null = null;
  #entries = 0;
  #collected = 0;
  #rollbacks = 0;
  #dropped = 0;

  /**
   * @param afterSeq entries at or below it are skipped (the snapshot's stream sequence)
   * @param stopAtReorg the reorg whose rollback entry ends the replay
   * @param foldUpTo blocks above it are never folded: `pushBytes` counts their logs without decoding them
   */
  constructor(afterSeq: number, stopAtReorg: string | null = null, foldUpTo: number | null = null) {
    this.#asm = new BlockAssembler(afterSeq);
    this.#unitSeq = afterSeq;
    this.#stopAtReorg = stopAtReorg;
    this.#foldUpTo = foldUpTo;
  }

  /**
   * Feeds one entry in its wire form. A log of a block above `foldUpTo` is only counted (blocks above
   * the target are never folded, whatever rollbacks follow): its block is kept as a seal without logs,
   * checked against the seal's log count. Everything else is decoded and pushed.
   */
  pushBytes(seq: number, bytes: Uint8Array): boolean {
    if (this.#stopped) return true;
    if (seq <= this.#asm.lastSeq) return false;
    const light = this.#light;
    if (this.#foldUpTo !== null && bytes[0] === BINARY_LOG_V1 && bytes.length >= 14) {
      const block = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).readUIntBE(8, 6);
      if (block > this.#foldUpTo && !this.#asm.midBlock && (light === null || light.block === block)) {
        this.#light = { block, logs: (light?.logs ?? 0) + 1 };
        this.#entries++;
        this.#asm.skipTo(seq);
        return false;
      }
    }
    const entry = decodeEntry(bytes);
    this.#light = null;
    // A rollback entry after a block cut short drops its logs, as the assembler does.
    if (light === null || entry.kind === 'rollback') return this.push(seq, entry);
    if (entry.kind !== 'seal' || entry.blockNumber !== light.block || entry.logCount !== light.logs) {
      throw new TickstreamError(
        'PROJECTION_INVARIANT',
        `partition ${entry.partition}: ${light.logs} logs of block ${light.block} are followed by ` +
          `${entry.kind === 'seal' ? `the seal of block ${entry.blockNumber} counting ${entry.logCount}` : `a ${entry.kind} entry`}`,
      );
    }
    this.#entries++;
    this.#asm.skipTo(seq);
    this.#unitSeq = seq;
    this.#blocks.push({ kind: 'block', logs: [], seal: entry, seq });
    this.#collected++;
    return false;
  }

  /** Feeds one entry (in stream order); returns true once the stop rollback entry was met. */
  push(seq: number, entry: LedgerEntry): boolean {
    if (this.#stopped) return true;
    this.#entries++;
    for (const unit of this.#asm.push(seq, entry)) {
      this.#unitSeq = unit.seq;
      if (unit.kind === 'block') {
        this.#blocks.push(unit);
        this.#collected++;
        continue;
      }
      const to = unit.entry.toBlock;
      this.#rollbacks++;
      if (this.#lowestRollback === null || to < this.#lowestRollback) this.#lowestRollback = to;
      const keep = this.#blocks.findIndex((b) => b.seal.blockNumber > to);
      if (keep >= 0) {
        this.#dropped += this.#blocks.length - keep;
        this.#blocks.length = keep;
      }
      if (unit.entry.reorgId === this.#stopAtReorg) this.#stopped = true;
    }
    return this.#stopped;
  }

  /** True once the rollback entry of `stopAtReorg` was met. */
  get stopped(): boolean {
    return this.#stopped;
  }

  /** Stream sequence of the last whole unit (seal or rollback): where a checkpoint may stand. */
  get unitSeq(): number {
    return this.#unitSeq;
  }

  /** The lowest `toBlock` of the rollback entries met (null: none). */
  get lowestRollback(): number | null {
    return this.#lowestRollback;
  }

  /** The canonical blocks collected so far, in ledger order (block numbers increase). */
  get blocks(): readonly SealedBlock[] {
    return this.#blocks;
  }

  get stats(): ReplayStats {
    return {
      entries: this.#entries,
      blocks: this.#collected,
      rollbacks: this.#rollbacks,
      dropped: this.#dropped,
    };
  }

  /** The canonical blocks at or below `toBlock` (to fold) and above it. */
  split(toBlock: number): CanonicalSplit {
    const cut = this.#blocks.findIndex((b) => b.seal.blockNumber > toBlock);
    return cut < 0
      ? { fold: this.#blocks, above: [] }
      : { fold: this.#blocks.slice(0, cut), above: this.#blocks.slice(cut) };
  }
}
