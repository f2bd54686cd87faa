import type { JetStreamManager } from '@nats-io/jetstream';
import type { NatsConnection } from '@nats-io/transport-node';
import { decodeEntry, entryBlock, type Logger, partitionSubject, streamName } from '@tickstream/shared';
import type { Redis } from 'ioredis';
import type { Pool } from 'pg';
import type { ProjectorConfig } from '../config';
import type { LinkTarget } from '../consume/link';
import { migrateProjections, readCheckpointStates } from '../store';
import { bundleWorker } from './bundle';
import { type FoldWorker, FoldWorkers } from './parallel';
import { ProgressReporter, type RebuildProgress } from './progress';
import { type Projection, type ProjectionName, projectionOf } from './projections';
import { createRebuildSchema, KeyBuilder, type TableKeys } from './schema';
import { type SwapResult, swapIn } from './swap';
import { threadCpuSec } from './worker';
import type { RowCounts } from './writer';

/** The clients a rebuild works with (a subset of the projector's; no RPC). */
export interface RebuildDeps {
  /** The live database (each fold worker opens its own pool on the same settings: 4 COPY streams each). */
  readonly pg: Pool;
  readonly nc: NatsConnection;
  readonly jsm: JetStreamManager;
  readonly log: Logger;
  readonly cfg: ProjectorConfig;
  /** The rebuilt pools are published once after the swap; undefined: not. */
  readonly redis?: Redis | undefined;
}

export interface RebuildOptions {
  /** `all` (default), `pools` or `tokens` (see `projectionOf`). */
  readonly projection?: ProjectionName | string | undefined;
  /** The schema the rebuild is built in (dropped first). Default `tickstream_rebuild`. */
  readonly schema?: string;
  /** Swap the rebuilt tables in (default true). False: they stay in `schema` (to inspect or compare). */
  readonly swap?: boolean;
  /** Keep the replaced live tables in `<schema>_old` until the next rebuild (default true). */
  readonly keepArchive?: boolean;
  /** Called with progress at most every `progressIntervalMs` (default 1,000) and once per phase. */
  readonly onProgress?: (p: RebuildProgress) => void;
  readonly progressIntervalMs?: number;
  /** Worker threads folding the partitions (default 2; at most one per partition). */
  readonly workers?: number;
}

export interface RebuildResult {
  readonly projection: ProjectionName;
  readonly partitions: string[];
  readonly stream: string;
  readonly schema: string;
  readonly swapped: boolean;
  /** Where the replaced tables are (null: dropped or not swapped). */
  readonly archive: string | null;
  /**
   * Entries read (of the projection's partitions); log entries folded (events); sealed blocks folded;
   * blocks a rollback entry dropped.
   */
  readonly entries: number;
  readonly events: number;
  readonly blocks: number;
  readonly dropped: number;
  readonly rows: RowCounts;
  readonly seconds: number;
  readonly eventsPerSec: number;
  readonly entriesPerSec: number;
  /**
   * Read and fold (the COPYs running alongside) until the last worker is done, the keys still being
   * built then, swap; and the time the workers spent waiting for NATS (nothing to fold) and for
   * Postgres (COPY buffers full), summed: where the bottleneck is.
   */
  readonly phases: {
    readonly foldSec: number;
    readonly keysSec: number;
    readonly swapSec: number;
    readonly readWaitSec: number;
    readonly copyWaitSec: number;
  };
  readonly swap: SwapResult | null;
  /** CPU seconds of the main thread (schema, progress, keys and swap statements) and of each fold worker. */
  readonly cpu: { readonly mainSec: number; readonly workersSec: number[] };
}

/**
 * Rebuilds projections from the ledger alone (no RPC): a fresh schema with the same tables, the
 * partitions folded in memory on worker threads (`FoldWorkers`) with the live projector's code
 * (`applyBlock`), each worker reading its partitions' subjects itself (one ack-less consumer per
 * partition, no durable state) and COPYing its rows while the fold goes on; each table's keys built
 * once its rows are all in (`KeyBuilder`), while the other worker may still fold; then the tables
 * swapped in (`swapIn`) in one transaction, standing exactly where the live projection stands, so a
 * running projector goes on without noticing. Without a live checkpoint (a fresh or stopped
 * projection), it rebuilds up to the stream's end when it started.
 *
 * While the stream is read, each partition folds only up to the live projector's checkpoint (polled
 * every progress interval) and keeps the newest FINALITY_DEPTH blocks unfolded, so that a rollback entry
 * further on drops them (as the live rewind does); rows at or below the stream's last block minus
 * FINALITY_DEPTH are written `confirmed`.
 *
 * @example
 * const r = await rebuildProjections(deps, { projection: 'tokens', onProgress: (p) => console.log(p.eventsPerSec) });
 * r.eventsPerSec; // e.g. 52000
 */
export async function rebuildProjections(
  deps: RebuildDeps,
  opts: RebuildOptions = {},
): Promise<RebuildResult> {
  const { pg, nc, jsm, log, cfg } = deps;
  const chainId = cfg.CHAIN_ID;
  const projection = projectionOf(opts.projection, cfg.PARTITIONS);
  void bundleWorker(); // built while the schema is prepared (main.ts starts it before anything else)
  const schema = opts.schema ?? 'tickstream_rebuild';
  const archive = `${schema}_old`;
  const stream = streamName(cfg.LEDGER_STREAM_PREFIX, chainId);
  // A fresh database gets the live tables; an existing one is left alone (the DDL's ALTERs would take
  // exclusive locks under a running projector).
  const missing = await pg.query<{ n: number }>(
    `SELECT count(*)::int AS n FROM unnest($1::text[]) AS t WHERE to_regclass(t) IS NULL`,
    [['proj_checkpoints', 'proj_finality', ...projection.tables.map((t) => t.name)]],
  );
  if ((missing.rows[0]?.n ?? 0) > 0) await migrateProjections(pg);
  const liveSchema = (await pg.query<{ s: string }>('SELECT current_schema() AS s')).rows[0]!.s;
  const info = await jsm.streams.info(stream, { subjects_filter: '>' });
  const first = Math.max(1, info.state.first_seq);
  const end = info.state.last_seq;
  const headBlock = await blockAt(jsm, stream, end);
  const confirmedBlock = headBlock - cfg.FINALITY_DEPTH;
  const subjects = projection.partitions.map((p) => partitionSubject(cfg.LEDGER_STREAM_PREFIX, chainId, p));
  const perSubject = subjects.map((s) => info.state.subjects?.[s] ?? 0);
  const progress = new ProgressReporter(
    log,
    opts.progressIntervalMs ?? 1_000,
    opts.onProgress,
    perSubject.reduce((a, b) => a + b, 0),
  );
  log.info(
    { stream, projection: projection.name, schema, entries: end - first + 1, headBlock, confirmedBlock },
    'rebuild starting',
  );

  const cpu0 = threadCpuSec();
  // The workers start (bundle loaded, NATS connected, inboxes subscribed) while the schema is made.
  const starting = FoldWorkers.start(pg, {
    chainId,
    partitions: projection.partitions,
    subjects,
    weights: perSubject.map((n) => Math.max(1, n)),
    hold: cfg.FINALITY_DEPTH,
    schema,
    confirmedBlock,
    workers: opts.workers ?? 2,
    stream,
    first,
    nats: linkTarget(nc, cfg.NATS_URL),
  });
  starting.catch(() => undefined);
  let keys: TableKeys[];
  try {
    keys = await createRebuildSchema(
      pg,
      schema,
      projection.tables.map((t) => t.name),
    );
  } catch (err) {
    await starting.then(
      (fw) => fw.close(),
      () => undefined,
    );
    throw err;
  }
  const fw = await starting;
  const folds = fw.folds;
  const entries = () => folds.reduce((n, f) => n + f.entries, 0);
  const events = () => folds.reduce((n, f) => n + f.logs, 0);
  const keyBuilder = new KeyBuilder(
    pg,
    keys,
    new Map(projection.tables.flatMap((t) => (t.stats === undefined ? [] : [[t.name, t.stats] as const]))),
  );
  let foldSec = 0;
  const rows: RowCounts = {};
  let keysSec = 0;
  let swap: SwapResult | null = null;
  try {
    let targets = await liveTargets(deps, projection);
    await fw.open();
    fw.targets(targets);
    progress.update('read', 0, 0, true);
    // Progress, and the live checkpoints the folds stop at, every interval while the workers fold.
    let phase: 'read' | 'catch-up' = 'read';
    const ticker = new Ticker(opts.progressIntervalMs ?? 1_000);
    const polling = (async () => {
      while (await ticker.next()) {
        targets = await liveTargets(deps, projection);
        fw.targets(targets);
        await fw.refresh();
        progress.update(phase, entries(), events(), true);
      }
    })();
    polling.catch(() => ticker.stop());
    // A table's keys are built once every worker writing it is done with its rows (told as each of
    // a worker's COPYs ends).
    const writers = new Map(
      projection.tables.map((t) => [t.name, fw.workers.filter((w) => writes(w, t.name)).length]),
    );
    const tableDone = (table: string, n: number) => {
      rows[table] = (rows[table] ?? 0) + n;
      const left = (writers.get(table) ?? 1) - 1;
      writers.set(table, left);
      if (left === 0) keyBuilder.build([table]);
    };
    for (const w of fw.workers) w.onTable = tableDone;
    let reading = fw.workers.length;
    try {
      await Promise.all(
        fw.workers.map(async (w) => {
          await w.read(new Map(w.folds.map((f) => [f.name, end])));
          if (--reading === 0) {
            phase = 'catch-up';
            progress.update(phase, entries(), events(), true);
          }
          // Catch-up: the live projector moved on meanwhile; bring each fold to its checkpoint (or,
          // without one, to the end), held blocks included.
          for (let round = 0; round < 5; round++) {
            const t = await liveTargets(deps, projection);
            await w.read(
              new Map(
                w.folds.flatMap((f) => (Number.isFinite(t.get(f.name)) ? [[f.name, t.get(f.name)!]] : [])),
              ),
            );
            await w.fold(t, true);
            if (w.folds.every((f) => f.queued === 0 || f.position.seq >= t.get(f.name)!)) break;
          }
          await w.finish(); // each table's rows counted, and its keys started, as its COPYs end
        }),
      );
    } finally {
      ticker.stop();
      await polling.catch(() => undefined);
    }
    keyBuilder.build(projection.tables.map((t) => t.name));
    foldSec = progress.elapsedSec;
    progress.update('keys', entries(), events(), true);
    await keyBuilder.done();
    keysSec = progress.elapsedSec - foldSec;
    if (opts.swap !== false) {
      progress.update('swap', entries(), events(), true);
      swap = await swapIn(pg, deps.redis, log, {
        chainId,
        projection,
        schema,
        archive,
        liveSchema,
        confirmedBlock,
        folds,
        readTo: async (seq) => {
          await Promise.all(fw.workers.map((w) => w.read(new Map(w.folds.map((f) => [f.name, seq])))));
        },
        foldTo: (t) => fw.swapFold(t),
        pools: () => fw.pools(),
      });
      if (opts.keepArchive === false) await pg.query(`DROP SCHEMA IF EXISTS "${archive}" CASCADE`);
    }
  } finally {
    await keyBuilder.done().catch(() => undefined);
    await fw.close();
  }
  const seconds = progress.elapsedSec;
  const swapSec = seconds - foldSec - keysSec;
  const total = events();
  const read = entries();
  progress.update('done', read, total, true);
  const result: RebuildResult = {
    projection: projection.name,
    partitions: folds.map((f) => f.name),
    stream,
    schema,
    swapped: swap !== null,
    archive: swap !== null && opts.keepArchive !== false ? archive : null,
    entries: read,
    events: total,
    blocks: folds.reduce((n, f) => n + f.blocks, 0),
    dropped: folds.reduce((n, f) => n + f.dropped, 0),
    rows,
    seconds,
    eventsPerSec: Math.round(total / seconds),
    entriesPerSec: Math.round(read / seconds),
    phases: {
      foldSec,
      keysSec,
      swapSec,
      readWaitSec: fw.readWaitMs / 1000,
      copyWaitSec: fw.copyWaitMs / 1000,
    },
    swap,
    cpu: { mainSec: threadCpuSec() - cpu0, workersSec: fw.cpuSec },
  };
  log.info(
    {
      projection: result.projection,
      entries: result.entries,
      events: result.events,
      rows: result.rows,
      seconds: Math.round(seconds * 100) / 100,
      eventsPerSec: result.eventsPerSec,
      phases: result.phases,
      checkpoints: swap?.checkpoints,
    },
    'rebuild done',
  );
  return result;
}

/** Whether worker `w` writes rows of `table` (events: every worker; the others by partition kind). */
function writes(w: FoldWorker, table: string): boolean {
  if (table === 'events') return true;
  return w.has(table === 'nft_positions' ? 'tokens' : 'pools');
}

/**
 * Where the fold workers connect: the server the rebuild's own connection uses, with the scheme and
 * credentials of NATS_URL.
 */
function linkTarget(nc: NatsConnection, natsUrl: string): LinkTarget {
  const u = new URL(natsUrl);
  const tls = u.protocol === 'tls:' || nc.info?.tls_required === true;
  const auth = u.username === '' ? '' : `${u.username}${u.password === '' ? '' : `:${u.password}`}@`;
  return { url: `${tls ? 'tls' : 'nats'}://${auth}${nc.getServer()}`, name: 'tickstream-rebuild-fold' };
}

/** Ticks every `ms` until stopped (`next` resolves false then, at once). */
class Ticker {
  #stopped = false;
  #timer: NodeJS.Timeout | undefined;
  #wake: ((v: boolean) => void) | undefined;
  constructor(private readonly ms: number) {}
  next(): Promise<boolean> {
    if (this.#stopped) return Promise.resolve(false);
    return new Promise((resolve) => {
      this.#wake = resolve;
      this.#timer = setTimeout(() => resolve(true), this.ms);
    });
  }
  stop(): void {
    this.#stopped = true;
    clearTimeout(this.#timer);
    this.#wake?.(false);
  }
}

/** Per partition: the live checkpoint's stream seq, the fold's target (Infinity: no live checkpoint). */
async function liveTargets(deps: RebuildDeps, projection: Projection): Promise<Map<string, number>> {
  const states = await readCheckpointStates(deps.pg, deps.cfg.CHAIN_ID, projection.partitions);
  const out = new Map<string, number>();
  for (const [name, s] of states) out.set(name, s.checkpoint?.seq ?? Number.POSITIVE_INFINITY);
  return out;
}

/** The block of the stream's entry at `seq` (a rollback entry: its target). */
async function blockAt(jsm: JetStreamManager, stream: string, seq: number): Promise<number> {
  if (seq === 0) return 0;
  const m = await jsm.streams.getMessage(stream, { seq });
  if (m === null) return 0;
  return entryBlock(decodeEntry(m.data));
}
