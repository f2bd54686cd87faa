import type { Pool, PoolClient } from 'pg';
import type { BlockChanges } from '../apply';
import { CopySink } from './copy';
import type { PartitionFold, RowSink } from './fold';
import {
  EVENTS_COLUMNS,
  eventLine,
  NFT_POSITIONS_COLUMNS,
  nftLine,
  POOL_HISTORY_COLUMNS,
  POOLS_COLUMNS,
  POSITION_HISTORY_COLUMNS,
  POSITIONS_COLUMNS,
  poolHistoryLine,
  poolLine,
  positionHistoryLine,
  positionLine,
  TICK_HISTORY_COLUMNS,
  TICKS_COLUMNS,
  tickHistoryLine,
  tickLine,
} from './rows';
import { ident } from './schema';

/** Rows written per table. */
export type RowCounts = Record<string, number>;

/**
 * The rows of a rebuild, streamed into the rebuild schema: one COPY per history table and `events`, each
 * on its own connection, fed while the fold goes on (`RowSink`); the latest tables are copied at the
 * end from the folds' latest rows (`finish`). Rows at or below `confirmedBlock` are written
 * `confirmed`, the others `unconfirmed`.
 *
 * @example
 * const w = await RowWriter.open(pg, 'tickstream_rebuild', 31337, 1136, true);
 * fold.foldUpTo(seq, false, w);
 * await w.drain();
 * const counts = await w.finish(folds);
 */
export class RowWriter implements RowSink {
  readonly #clients: PoolClient[] = [];
  readonly #sinks: CopySink[] = [];
  #poolHistory: CopySink | null = null;
  #tickHistory: CopySink | null = null;
  #positionHistory: CopySink | null = null;
  #events: CopySink | null = null;

  private constructor(
    private readonly pg: Pool,
    private readonly schema: string,
    private readonly chainId: number,
    private readonly confirmedBlock: number,
  ) {}

  /** Opens the COPY streams (pool tables only when `pools`). */
  static async open(
    pg: Pool,
    schema: string,
    chainId: number,
    confirmedBlock: number,
    pools: boolean,
  ): Promise<RowWriter> {
    const w = new RowWriter(pg, schema, chainId, confirmedBlock);
    try {
      w.#events = await w.#open('events', EVENTS_COLUMNS);
      if (pools) {
        w.#poolHistory = await w.#open('pool_history', POOL_HISTORY_COLUMNS);
        w.#tickHistory = await w.#open('tick_history', TICK_HISTORY_COLUMNS);
        w.#positionHistory = await w.#open('position_history', POSITION_HISTORY_COLUMNS);
      }
      return w;
    } catch (err) {
      w.abort();
      throw err;
    }
  }

  async #open(table: string, columns: readonly string[]): Promise<CopySink> {
    const c = await this.pg.connect();
    this.#clients.push(c);
    const sink = CopySink.open(c, `${ident(this.schema)}.${table}`, columns);
    this.#sinks.push(sink);
    return sink;
  }

  block(partition: string, ch: BlockChanges): void {
    const chainId = this.chainId;
    const status = ch.block.number <= this.confirmedBlock ? 'confirmed' : 'unconfirmed';
    if (ch.pools.length > 0) {
      const s = this.#poolHistory!;
      for (const r of ch.pools) s.line(poolHistoryLine(chainId, r, status));
    }
    if (ch.ticks.length > 0) {
      const s = this.#tickHistory!;
      for (const r of ch.ticks) s.line(tickHistoryLine(chainId, r, status));
    }
    if (ch.positions.length > 0) {
      const s = this.#positionHistory!;
      for (const r of ch.positions) s.line(positionHistoryLine(chainId, r, status));
    }
    const e = this.#events!;
    for (const r of ch.events) e.line(eventLine(chainId, partition, r, status));
  }

  /** True when a COPY stream has a chunk to hand over or is still sending one (`drain` would wait). */
  get backedUp(): boolean {
    for (const s of this.#sinks) if (s.full) return true;
    return false;
  }

  /** Hands full chunks to Postgres; waits only while a COPY stream's buffer is full. */
  async drain(force = false): Promise<void> {
    for (const s of this.#sinks) if (force || s.full) await s.flush();
  }

  /**
   * Ends the history COPYs and copies the latest rows of `folds` meanwhile, each latest table on a
   * connection of its own (`onTable` told as each table's rows are all in); releases the connections.
   */
  async finish(
    folds: readonly PartitionFold[],
    onTable?: (table: string, rows: number) => void,
  ): Promise<RowCounts> {
    const counts: RowCounts = {};
    const chainId = this.chainId;
    const latest: [string, readonly string[], (sink: { line(text: string): void }) => void][] = [];
    if (folds.some((f) => f.model.kind === 'pools')) {
      latest.push(
        [
          'pools',
          POOLS_COLUMNS,
          (sink) => {
            for (const f of folds) for (const r of f.pools.values()) sink.line(poolLine(chainId, f.name, r));
          },
        ],
        [
          'ticks',
          TICKS_COLUMNS,
          (sink) => {
            for (const f of folds)
              for (const r of f.ticks.values()) if (!r.cleared) sink.line(tickLine(chainId, r));
          },
        ],
        [
          'positions',
          POSITIONS_COLUMNS,
          (sink) => {
            for (const f of folds) for (const r of f.positions.values()) sink.line(positionLine(chainId, r));
          },
        ],
      );
    }
    if (folds.some((f) => f.model.kind === 'tokens')) {
      latest.push([
        'nft_positions',
        NFT_POSITIONS_COLUMNS,
        (sink) => {
          for (const f of folds) for (const r of f.nfts.values()) sink.line(nftLine(chainId, r));
        },
      ]);
    }
    const ending = Promise.all(
      this.#sinks.map(async (s) => {
        const table = s.table.split('.')[1]!;
        counts[table] = await s.end();
        onTable?.(table, counts[table]);
      }),
    );
    const copying = latest.map(async ([table, columns, fill]) => {
      const c = await this.pg.connect();
      try {
        counts[table] = await copyAll(c, this.schema, table, columns, fill);
        onTable?.(table, counts[table]);
      } finally {
        c.release();
      }
    });
    await Promise.all([ending, ...copying]);
    for (const c of this.#clients.splice(0)) c.release();
    return counts;
  }

  /** Stops every COPY and gives the connections back (broken ones are destroyed). */
  abort(): void {
    for (const s of this.#sinks) s.abort();
    for (const c of this.#clients.splice(0)) c.release(true);
  }
}

async function copyAll(
  c: PoolClient,
  schema: string,
  table: string,
  columns: readonly string[],
  fill: (sink: { line(text: string): void }) => void,
): Promise<number> {
  const sink = CopySink.open(c, `${ident(schema)}.${table}`, columns);
  fill(sink); // the latest rows: a few per key, buffered by the stream whatever Postgres's pace
  return sink.end();
}
