import {
  BINARY_LOG_V1,
  decodeEntry,
  type LogEntry,
  type Partition,
  type RollbackEntry,
  type SealEntry,
  TickstreamError,
} from '@tickstream/shared';
import {
  applyBlock,
  type BlockChanges,
  type BlockStamp,
  createPartitionModel,
  type NftRow,
  type PartitionModel,
  type PoolRow,
  type PositionRow,
  type TickRow,
} from '../apply';
import type { Hex } from '../fold';

/** A sealed block whose logs are still in their wire form (decoded when folded). */
interface RawBlock {
  readonly kind: 'block';
  readonly seal: SealEntry;
  readonly seq: number;
  /** The block's logs, after the catch-up logs held before its seal (the first `catchUp` ones). */
  readonly logs: Uint8Array[];
  readonly catchUp: number;
}

/** Flag bit of a catch-up log in the binary form (see `encodeBinaryLog`). */
const CATCH_UP_FLAG = 4;

interface RawRollback {
  readonly kind: 'rollback';
  readonly entry: RollbackEntry;
  readonly seq: number;
}

type RawUnit = RawBlock | RawRollback;

/** Where a partition's rebuilt state stands: like a checkpoint, with the reorg marks. */
export interface FoldPosition {
  /** Stream sequence of the last unit folded (seal or rollback entry); 0 before any. */
  readonly seq: number;
  /** The last block folded (after a rollback entry: its target block). */
  readonly block: BlockStamp | null;
  /** The last rollback entry met (`last_reorg_id`). */
  readonly lastReorgId: string | null;
}

/** Receives the rows of each folded block (history and events); the latest rows stay in the fold. */
export interface RowSink {
  block(partition: string, changes: BlockChanges): void;
}

/**
 * One partition of a rebuild: gathers its entries into sealed blocks (`BlockAssembler`), keeps the
 * newest `hold` blocks unfolded (a rollback entry later in the ledger drops the blocks above its
 * target, as the live projector's rewind would), folds the others into an in-memory model with
 * `applyBlock` (the live projector's code), hands each block's rows to the sink and keeps the latest
 * row of every key (for the latest tables).
 *
 * Units are folded only up to a target sequence (the live projector's checkpoint), so that the rebuilt
 * state can be made to stand exactly where the live one does.
 *
 * @example
 * const f = new PartitionFold(31337, 2, 64);
 * f.push(seq, bytes); // every entry of subject p2, in stream order
 * f.foldUpTo(Infinity, false, sink);
 */
export class PartitionFold {
  readonly model: PartitionModel;
  readonly name: string;
  readonly pools = new Map<Hex, PoolRow>();
  /** By pool and tick; cleared ticks stay as cleared rows (not written to `ticks`). */
  readonly ticks = new LatestTicks();
  readonly positions = new LatestPositions();
  readonly nfts = new Map<bigint, NftRow>();
  /** Log entries of the block being gathered (wire form) and its number. */
  #pending: Uint8Array[] = [];
  #pendingBlock = -1;
  /**
   * Catch-up logs (an address added at runtime: its older history, part of no block), held and put
   * before the logs of the next sealed block, as `BlockAssembler` does; with their block numbers.
   */
  #catchUp: { bytes: Uint8Array; block: number }[] = [];
  #lastSeq = 0;
  /** Units assembled, not folded yet, in order. */
  #queue: RawUnit[] = [];
  #newest = -1;
  #seq = 0;
  #block: BlockStamp | null = null;
  #lastReorgId: string | null = null;
  /** Entries pushed; log entries folded; blocks folded; blocks dropped by rollback entries. */
  entries = 0;
  logs = 0;
  blocks = 0;
  dropped = 0;

  constructor(
    readonly chainId: number,
    readonly partition: Partition,
    private readonly hold: number,
  ) {
    this.model = createPartitionModel(chainId, partition);
    this.name = String(partition);
  }

  /** The stream sequence of the last entry pushed. */
  get lastSeq(): number {
    return this.#lastSeq;
  }

  get position(): FoldPosition {
    return { seq: this.#seq, block: this.#block, lastReorgId: this.#lastReorgId };
  }

  /** Units waiting (held back, or beyond the target). */
  get queued(): number {
    return this.#queue.length;
  }

  /**
   * Feeds one entry of this partition's subject, in stream order (entries at or below the last one are
   * ignored). Logs stay in their wire form until folded (only their block number is read): blocks held
   * back cost little memory and no garbage collection.
   */
  push(seq: number, bytes: Uint8Array): void {
    if (seq <= this.#lastSeq) return;
    this.#lastSeq = seq;
    this.entries++;
    if (bytes[0] === BINARY_LOG_V1 && bytes.length >= 14) {
      // The block number: 6 bytes big-endian at offset 8 (read without a Buffer view per log).
      const block =
        (bytes[8]! * 0x10000 + bytes[9]! * 0x100 + bytes[10]!) * 0x1000000 +
        (bytes[11]! * 0x10000 + bytes[12]! * 0x100 + bytes[13]!);
      if ((bytes[1]! & CATCH_UP_FLAG) !== 0) {
        this.#catchUp.push({ bytes, block });
        return;
      }
      if (this.#pending.length > 0 && block !== this.#pendingBlock) {
        throw new TickstreamError(
          'PROJECTION_INVARIANT',
          `partition ${this.name}: log of block ${block} arrived before the seal of block ${this.#pendingBlock}`,
        );
      }
      this.#pendingBlock = block;
      this.#pending.push(bytes);
      return;
    }
    const entry = decodeEntry(bytes);
    if (entry.kind === 'log') {
      // A log in another wire form: kept as it is, decoded when folded.
      if (entry.catchUp === true) this.#catchUp.push({ bytes, block: entry.blockNumber });
      else {
        this.#pending.push(bytes);
        this.#pendingBlock = entry.blockNumber;
      }
      return;
    }
    const logs = this.#pending;
    this.#pending = [];
    if (entry.kind === 'seal') {
      if (logs.length !== entry.logCount || (logs.length > 0 && this.#pendingBlock !== entry.blockNumber)) {
        throw new TickstreamError(
          'PROJECTION_INVARIANT',
          `partition ${this.name}: seal of block ${entry.blockNumber} counts ${entry.logCount} logs, ` +
            `${logs.length} arrived (of block ${this.#pendingBlock})`,
        );
      }
      const held = this.#catchUp;
      if (held.length > 0) this.#catchUp = [];
      this.#queue.push({ kind: 'block', seal: entry, seq, logs, catchUp: held.length });
      if (held.length > 0) logs.unshift(...held.map((h) => h.bytes));
      if (entry.blockNumber > this.#newest) this.#newest = entry.blockNumber;
      return;
    }
    // A rollback entry (a block cut short before it is dropped, as the assembler does): the queued
    // blocks above its target were orphaned before anything folded them.
    const to = entry.toBlock;
    if (this.#block !== null && this.#block.number > to) {
      throw new TickstreamError(
        'NOT_READY',
        `partition ${this.name}: the rollback entry at seq ${seq} (reorg ${entry.reorgId}, to block ${to}) ` +
          `comes after block ${this.#block.number} was folded: run the rebuild again`,
        { retryable: true },
      );
    }
    this.#catchUp = this.#catchUp.filter((h) => h.block <= to);
    const keep = this.#queue.filter((u) => u.kind !== 'block' || u.seal.blockNumber <= to);
    this.dropped += this.#queue.length - keep.length;
    keep.push({ kind: 'rollback', entry, seq });
    this.#queue = keep;
    this.#newest = to;
  }

  /**
   * Folds the queued units with a sequence at or below `target`; unless `all`, the blocks within `hold`
   * of the newest block seen stay queued. Each folded block's rows go to `sink`.
   */
  foldUpTo(target: number, all: boolean, sink: RowSink): void {
    const limit = all ? Number.POSITIVE_INFINITY : this.#newest - this.hold;
    let i = 0;
    const q = this.#queue;
    for (; i < q.length; i++) {
      const unit = q[i]!;
      if (unit.seq > target) break;
      if (unit.kind === 'rollback') {
        this.#seq = unit.seq;
        this.#lastReorgId = unit.entry.reorgId;
        // As the live rewind leaves its checkpoint: at the target block (the entry names its hash).
        if (this.#block?.number !== unit.entry.toBlock) {
          this.#block = { number: unit.entry.toBlock, hash: unit.entry.toBlockHash };
        }
        continue;
      }
      if (unit.seal.blockNumber > limit) break;
      this.#fold(unit, sink);
    }
    if (i > 0) this.#queue = i === q.length ? [] : q.slice(i);
  }

  #fold(raw: RawBlock, sink: RowSink): void {
    const { seal } = raw;
    const logs: LogEntry[] = new Array(raw.logs.length);
    for (let i = 0; i < raw.logs.length; i++) {
      const e = decodeEntry(raw.logs[i]!);
      const own = i >= raw.catchUp;
      if (
        e.kind !== 'log' ||
        (own && (e.blockNumber !== seal.blockNumber || e.blockHash !== seal.blockHash))
      ) {
        throw new TickstreamError(
          'PROJECTION_INVARIANT',
          `partition ${this.name}: seal of block ${seal.blockNumber} ${seal.blockHash} closes an entry ` +
            `of ${e.kind === 'log' ? `block ${e.blockNumber} ${e.blockHash}` : `kind ${e.kind}`}`,
        );
      }
      logs[i] = e;
    }
    const changes = applyBlock(this.model, { kind: 'block', logs, seal, seq: raw.seq });
    for (const row of changes.pools) this.pools.set(row.address, row);
    for (const row of changes.ticks) this.ticks.set(row);
    for (const row of changes.positions) this.positions.set(row);
    for (const row of changes.nfts) this.nfts.set(row.tokenId, row);
    sink.block(this.name, changes);
    this.#seq = raw.seq;
    this.#block = changes.block;
    this.logs += changes.logs;
    this.blocks++;
  }
}

/**
 * The latest row of each tick, by pool then tick: nested maps, so that no key string is built and
 * hashed per row (a pool's rows share its address string, whose hash is kept).
 */
export class LatestTicks {
  readonly #byPool = new Map<string, Map<number, TickRow>>();

  set(row: TickRow): void {
    let ticks = this.#byPool.get(row.pool);
    if (ticks === undefined) {
      ticks = new Map();
      this.#byPool.set(row.pool, ticks);
    }
    ticks.set(row.tick, row);
  }

  get size(): number {
    let n = 0;
    for (const t of this.#byPool.values()) n += t.size;
    return n;
  }

  *values(): IterableIterator<TickRow> {
    for (const t of this.#byPool.values()) yield* t.values();
  }
}

/** Ticks are int24: a range as one number, `(lower + 2^23) * 2^24 + upper + 2^23`. */
const TICK_OFFSET = 2 ** 23;
const TICK_SPAN = 2 ** 24;

/** The latest row of each position, by pool, owner and range (nested maps, as `LatestTicks`). */
export class LatestPositions {
  readonly #byPool = new Map<string, Map<string, Map<number, PositionRow>>>();

  set(row: PositionRow): void {
    let owners = this.#byPool.get(row.pool);
    if (owners === undefined) {
      owners = new Map();
      this.#byPool.set(row.pool, owners);
    }
    let ranges = owners.get(row.owner);
    if (ranges === undefined) {
      ranges = new Map();
      owners.set(row.owner, ranges);
    }
    ranges.set((row.tickLower + TICK_OFFSET) * TICK_SPAN + row.tickUpper + TICK_OFFSET, row);
  }

  get size(): number {
    let n = 0;
    for (const o of this.#byPool.values()) for (const r of o.values()) n += r.size;
    return n;
  }

  *values(): IterableIterator<PositionRow> {
    for (const o of this.#byPool.values()) for (const r of o.values()) yield* r.values();
  }
}
