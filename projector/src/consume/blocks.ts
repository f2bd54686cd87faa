import {
  type LedgerEntry,
  type LogEntry,
  type RollbackEntry,
  type SealEntry,
  TickstreamError,
} from '@tickstream/shared';

/** One block of one partition, whole: its logs and the seal that closes it. */
export interface SealedBlock {
  readonly kind: 'block';
  readonly logs: LogEntry[];
  readonly seal: SealEntry;
  /** Stream sequence of the seal (the checkpoint after applying the block). */
  readonly seq: number;
}

export interface Rollback {
  readonly kind: 'rollback';
  readonly entry: RollbackEntry;
  readonly seq: number;
}

export type Unit = SealedBlock | Rollback;

/**
 * Pure: gathers a partition's entries into whole blocks. Logs wait until their block's seal comes;
 * a seal whose log count disagrees with the logs seen throws PROJECTION_INVARIANT (the ledger would be
 * inconsistent). Entries at or below `afterSeq` (already applied) are skipped, so redeliveries are
 * harmless. Catch-up logs (`catchUp`: the history of an address an operator added at runtime, older
 * than the blocks around it, see ingest's `backfill/catch-up.ts`) are not part of any block: they are
 * held and put before the logs of the next sealed block, so that the block's fold applies them first;
 * their pool is new to the partition and depends on nothing else. A rollback drops the held ones
 * above its block.
 *
 * @example
 * const asm = new BlockAssembler(checkpoint.seq);
 * for (const [seq, e] of msgs) for (const unit of asm.push(seq, e)) apply(unit);
 */
export class BlockAssembler {
  #pending: LogEntry[] = [];
  #catchUp: LogEntry[] = [];
  #lastSeq: number;

  constructor(afterSeq: number) {
    this.#lastSeq = afterSeq;
  }

  get lastSeq(): number {
    return this.#lastSeq;
  }

  /** Feeds one entry; returns the units it completes (zero or one). */
  push(seq: number, entry: LedgerEntry): Unit[] {
    if (seq <= this.#lastSeq) return [];
    this.#lastSeq = seq;
    switch (entry.kind) {
      case 'log': {
        if (entry.catchUp === true) {
          this.#catchUp.push(entry);
          return [];
        }
        const first = this.#pending[0];
        if (
          first !== undefined &&
          (first.blockNumber !== entry.blockNumber || first.blockHash !== entry.blockHash)
        ) {
          throw new TickstreamError(
            'PROJECTION_INVARIANT',
            `partition ${entry.partition}: log of block ${entry.blockNumber} arrived before the seal of block ${first.blockNumber}`,
          );
        }
        this.#pending.push(entry);
        return [];
      }
      case 'seal': {
        const logs = this.#pending;
        this.#pending = [];
        const stray = logs.find(
          (l) => l.blockNumber !== entry.blockNumber || l.blockHash !== entry.blockHash,
        );
        if (logs.length !== entry.logCount || stray !== undefined) {
          throw new TickstreamError(
            'PROJECTION_INVARIANT',
            `partition ${entry.partition}: seal of block ${entry.blockNumber} counts ${entry.logCount} logs, ` +
              `${logs.length} arrived${stray === undefined ? '' : ` (one of block ${stray.blockNumber})`}`,
          );
        }
        if (this.#catchUp.length === 0) return [{ kind: 'block', logs, seal: entry, seq }];
        const held = this.#catchUp;
        this.#catchUp = [];
        return [{ kind: 'block', logs: [...held, ...logs], seal: entry, seq }];
      }
      case 'rollback':
        this.#pending = [];
        this.#catchUp = this.#catchUp.filter((l) => l.blockNumber <= entry.toBlock);
        return [{ kind: 'rollback', entry, seq }];
    }
  }

  /** Marks entries up to `seq` as seen without feeding them (a caller that handled them itself). */
  skipTo(seq: number): void {
    if (seq > this.#lastSeq) this.#lastSeq = seq;
  }

  /** True when logs are waiting for their seal. */
  get midBlock(): boolean {
    return this.#pending.length > 0 || this.#catchUp.length > 0;
  }
}
