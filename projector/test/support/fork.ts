/**
 * Test support for rewinds: reorgs simulated in a ledger built from real logs (fork blocks with other
 * hashes, rollback entries), written with ingest's LedgerWriter; an in-process projector; and the
 * table contents two projections are compared by.
 */
import { jetstream, jetstreamManager } from '@nats-io/jetstream';
import type { NatsConnection } from '@nats-io/transport-node';
import {
  allPartitions,
  createLogger,
  type Hex,
  type LedgerEntry,
  loadConfig,
  type RollbackEntry,
  type SealEntry,
  streamName,
} from '@tickstream/shared';
import type { Redis } from 'ioredis';
import type pg from 'pg';
import { ensureStream, LedgerWriter, readTail } from '../../../ingest/src/publish';
import type { ProjectorConfig } from '../../src/config';
import { feedTarget, type ProjectorDeps, runProjector } from '../../src/service';
import { SnapshotCache } from '../../src/store';

export const CHAIN = 31337;

/** A block hash of fork `tag` (one hex digit) for block `n`. */
export const forkHash = (n: number, tag: string): Hex => `0x${tag}${n.toString(16).padStart(63, 'f')}`;

/** The entries of blocks `from..to` (by block number; rollback entries left out). */
export function blocksIn(entries: readonly LedgerEntry[], from: number, to: number): LedgerEntry[] {
  return entries.filter((e) => e.kind !== 'rollback' && e.blockNumber >= from && e.blockNumber <= to);
}

/** The same entries on another fork: every block hash (and a seal's parent hash) from `hashOf`. */
export function rehash(entries: readonly LedgerEntry[], hashOf: (n: number) => Hex): LedgerEntry[] {
  return entries.map((e) => {
    if (e.kind === 'rollback') return e;
    if (e.kind === 'seal')
      return { ...e, blockHash: hashOf(e.blockNumber), parentHash: hashOf(e.blockNumber - 1) };
    return { ...e, blockHash: hashOf(e.blockNumber) };
  });
}

/** Block `n` without logs: one seal per partition. */
export function emptyBlock(n: number, hash: Hex, parentHash: Hex, partitions: number): SealEntry[] {
  return allPartitions(partitions).map((partition) => ({
    kind: 'seal',
    chainId: CHAIN,
    partition,
    blockNumber: n,
    blockHash: hash,
    parentHash,
    timestamp: null,
    logCount: 0,
  }));
}

/** One rollback entry per partition (what ingest appends for a reorg). */
export function rollbackEntries(
  toBlock: number,
  toBlockHash: Hex,
  reorgId: string,
  partitions: number,
): RollbackEntry[] {
  return allPartitions(partitions).map((partition) => ({
    kind: 'rollback',
    chainId: CHAIN,
    partition,
    toBlock,
    toBlockHash,
    reorgId,
  }));
}

/** A ledger stream of its own that entries are appended to, in order, like ingest appends them. */
export class TestLedger {
  private constructor(
    readonly prefix: string,
    private readonly writer: LedgerWriter,
  ) {}

  static async create(nc: NatsConnection, prefix: string): Promise<TestLedger> {
    const jsm = await jetstreamManager(nc);
    await ensureStream(jsm, { prefix, chainId: CHAIN });
    const tail = await readTail(jsm, { prefix, chainId: CHAIN });
    return new TestLedger(prefix, new LedgerWriter(nc, { prefix, chainId: CHAIN }, tail));
  }

  get stream(): string {
    return streamName(this.prefix, CHAIN);
  }

  /** The epoch of later message ids (ingest sets it to the reorg id after a rollback). */
  set epoch(reorgId: string | null) {
    this.writer.epoch = reorgId;
  }

  /** Appends (in batches) and returns the last entry's stream sequence. */
  async append(entries: readonly LedgerEntry[]): Promise<number> {
    let seq = 0;
    for (let i = 0; i < entries.length; i += 2_000)
      seq = await this.writer.append(entries.slice(i, i + 2_000));
    return seq;
  }

  close(): void {
    this.writer.close();
  }
}

/** Projector settings for an in-process projector of `prefix` into `dbUrl`. */
export function projectorConfig(
  prefix: string,
  dbUrl: string,
  extra: Record<string, string> = {},
): ProjectorConfig {
  return loadConfig('projector', {
    CHAIN_ID: String(CHAIN),
    DATABASE_URL: dbUrl,
    LEDGER_STREAM_PREFIX: prefix,
    PARTITIONS: '4',
    CONTROL_PLANE: 'none',
    PROJECTOR_BATCH_ENTRIES: '400',
    PROJECTOR_PROGRESS_INTERVAL_MS: '60000',
    FINALITY_DEPTH: '4',
    FINALITY_INTERVAL_MS: '200',
    ...extra,
  });
}

/** An in-process projector: its clients, and `start`/`stop` of `runProjector`. */
export class InProcessProjector {
  #controller: AbortController | null = null;
  #running: Promise<void> | null = null;
  #failure: unknown;

  private constructor(readonly deps: ProjectorDeps) {}

  static async create(
    nc: NatsConnection,
    pool: pg.Pool,
    redis: Redis | undefined,
    cfg: ProjectorConfig,
    afterCommit?: () => void,
  ): Promise<InProcessProjector> {
    return new InProcessProjector({
      pg: pool,
      redis,
      js: jetstream(nc),
      jsm: await jetstreamManager(nc),
      log: createLogger('test-projector', process.env.TEST_LOG_LEVEL ?? 'warn'),
      cfg,
      // Like the projector process: the snapshots it writes are kept in memory for its rewinds.
      snapshots: new SnapshotCache(),
      ...(afterCommit === undefined ? {} : { afterCommit }),
    });
  }

  start(): void {
    this.#controller = new AbortController();
    this.#failure = undefined;
    this.#running = runProjector(this.deps, this.#controller.signal).catch((err: unknown) => {
      this.#failure = err;
    });
  }

  /** Throws when the projector stopped with an error. */
  check(): void {
    if (this.#failure !== undefined) throw this.#failure;
  }

  async stop(): Promise<void> {
    this.#controller?.abort();
    await this.#running;
    this.#running = null;
    this.check();
  }
}

/**
 * Waits until every partition has consumed the stream to its end: its durable consumer acked its
 * last entry or has nothing left to deliver or to be acked (skipped blocks are acked without moving the
 * checkpoint).
 */
export async function waitConsumed(
  p: InProcessProjector,
  stream: string,
  timeoutMs = 120_000,
): Promise<void> {
  const { jsm, cfg } = p.deps;
  const deadline = Date.now() + timeoutMs;
  const targets = allPartitions(cfg.PARTITIONS).map((part) => feedTarget(cfg, part));
  for (;;) {
    p.check();
    let done = true;
    for (const t of targets) {
      const last = await jsm.streams.getMessage(stream, { last_by_subj: t.subject }).catch(() => null);
      if (last === null) continue;
      const info = await jsm.consumers.info(stream, t.durable).catch(() => null);
      // Everything delivered is acked and nothing is left (a consumer made after the last entry acks nothing).
      const idle = info !== null && info.num_pending === 0 && info.num_ack_pending === 0;
      if (info === null || (info.ack_floor.stream_seq < last.seq && !idle)) done = false;
    }
    if (done) return;
    if (Date.now() > deadline)
      throw new Error(`the projector did not consume ${stream} within ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

/** The latest tables of the chain, each sorted, as comparable rows. */
export async function latestRows(db: pg.Pool): Promise<Record<string, unknown[]>> {
  const out: Record<string, unknown[]> = {};
  const tables: [string, string][] = [
    ['pools', 'address'],
    ['ticks', 'pool, tick'],
    ['positions', 'pool, owner, tick_lower, tick_upper'],
    ['nft_positions', 'token_id'],
  ];
  for (const [t, order] of tables) {
    const { rows } = await db.query(`SELECT * FROM ${t} WHERE chain_id = $1 ORDER BY ${order}`, [CHAIN]);
    out[t] = rows;
  }
  const cps = await db.query(
    'SELECT partition, block_number, block_hash FROM proj_checkpoints WHERE chain_id = $1 ORDER BY partition',
    [CHAIN],
  );
  out.proj_checkpoints = cps.rows;
  return out;
}

/** The history and event rows that are not orphaned (status left out: confirmation is timing). */
export async function canonicalHistory(db: pg.Pool): Promise<Record<string, unknown[]>> {
  const out: Record<string, unknown[]> = {};
  const tables: [string, string][] = [
    ['pool_history', 'address, block_number, block_hash'],
    ['tick_history', 'pool, tick, block_number, block_hash'],
    ['position_history', 'pool, owner, tick_lower, tick_upper, block_number, block_hash'],
    ['events', 'block_number, log_index, block_hash'],
  ];
  for (const [t, order] of tables) {
    const { rows } = await db.query(
      `SELECT * FROM ${t} WHERE chain_id = $1 AND status <> 'orphaned' ORDER BY ${order}`,
      [CHAIN],
    );
    out[t] = rows.map(({ status: _s, ...r }: Record<string, unknown>) => r);
  }
  return out;
}

/** Rows per history table and status. */
export async function statusCounts(db: pg.Pool): Promise<Record<string, Record<string, number>>> {
  const out: Record<string, Record<string, number>> = {};
  for (const t of ['pool_history', 'tick_history', 'position_history', 'events']) {
    const { rows } = await db.query<{ status: string; n: number }>(
      `SELECT status, count(*)::int AS n FROM ${t} WHERE chain_id = $1 GROUP BY status`,
      [CHAIN],
    );
    out[t] = Object.fromEntries(rows.map((r) => [r.status, r.n]));
  }
  return out;
}

/** Rows of history tables of blocks with these hashes, by table and status. */
export async function rowsOfHashes(
  db: pg.Pool,
  hashes: readonly string[],
): Promise<Record<string, Record<string, number>>> {
  const out: Record<string, Record<string, number>> = {};
  for (const t of ['pool_history', 'tick_history', 'position_history', 'events']) {
    const { rows } = await db.query<{ status: string; n: number }>(
      `SELECT status, count(*)::int AS n FROM ${t} WHERE chain_id = $1 AND block_hash = ANY($2::text[]) GROUP BY status`,
      [CHAIN, hashes],
    );
    out[t] = Object.fromEntries(rows.map((r) => [r.status, r.n]));
  }
  return out;
}
