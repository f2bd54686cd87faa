import type { JetStreamManager } from '@nats-io/jetstream';
import type { NatsConnection } from '@nats-io/transport-node';
import { decodeEntry, type Logger, partitionSubject, streamName } from '@tickstream/shared';
import type { Redis } from 'ioredis';
import type { Pool } from 'pg';
import type { ProjectorConfig } from '../config';
import { migrateProjections, readCheckpointStates } from '../store';
import { copyWait } from './copy';
import { bundleWorker, FoldWorkers } from './parallel';
import { ProgressReporter, type RebuildProgress } from './progress';
import { type Projection, type ProjectionName, projectionOf } from './projections';
import { readRange, readWait, type StreamMessage } from './read';
import { createRebuildSchema, restoreKeys } from './schema';
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
  /** Stream entries read; log entries folded (events); sealed blocks folded; blocks a rollback entry dropped. */
  readonly entries: number;
  readonly events: number;
  readonly blocks: number;
  readonly dropped: number;
  readonly rows: RowCounts;
  readonly seconds: number;
  readonly eventsPerSec: number;
  readonly entriesPerSec: number;
  /**
   * Read and fold (the COPYs running alongside), keys built, swap; and within the first, the time spent
   * waiting for NATS (nothing to fold) and for Postgres (COPY buffers full): where the bottleneck is.
   */
  readonly phases: {
    readonly foldSec: number;
    readonly keysSec: number;
    readonly swapSec: number;
    readonly readWaitSec: number;
    readonly copyWaitSec: number;
  };
  readonly swap: SwapResult | null;
  /** CPU seconds of the main thread (read, hand-over, keys, swap) and of each fold worker. */
  readonly cpu: { readonly mainSec: number; readonly workersSec: number[] };
}

/**
 * Rebuilds projections from the ledger alone (no RPC): a fresh schema with the same tables, one ordered
 * read of the stream (no acks, no durable consumer) on this thread, the partitions folded in memory on
 * worker threads (`FoldWorkers`) with the live projector's code (`applyBlock`), rows streamed in with
 * COPY by the workers while the fold goes on, keys built once at the end, then
 * the tables swapped in (`swapIn`) in one transaction, standing exactly where the live projection
 * stands, so a running projector goes on without noticing. Without a live checkpoint (a fresh or
 * stopped projection), it rebuilds up to the stream's end when it started.
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
  void bundleWorker(); // built while the schema is prepared
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
  const progress = new ProgressReporter(
    log,
    opts.progressIntervalMs ?? 1_000,
    opts.onProgress,
    end - first + 1,
  );
  log.info(
    { stream, projection: projection.name, schema, entries: end - first + 1, headBlock, confirmedBlock },
    'rebuild starting',
  );

  const cpu0 = threadCpuSec();
  readWait.ms = 0;
  copyWait.ms = 0;
  const keys = await createRebuildSchema(
    pg,
    schema,
    projection.tables.map((t) => t.name),
  );
  const fw = await FoldWorkers.start(pg, {
    chainId,
    partitions: projection.partitions,
    subjects,
    weights: subjects.map((s) => info.state.subjects?.[s] ?? 1),
    hold: cfg.FINALITY_DEPTH,
    schema,
    confirmedBlock,
    workers: opts.workers ?? 2,
  });
  const folds = fw.folds;
  let read = first - 1;
  let targets = await liveTargets(deps, projection);
  const push = (batch: StreamMessage[]) => {
    fw.push(batch);
    read = batch[batch.length - 1]!.seq;
  };
  const events = () => folds.reduce((n, f) => n + f.logs, 0);
  let foldSec = 0;
  let rows: RowCounts;
  let keysSec = 0;
  let swap: SwapResult | null = null;
  try {
    await readRange(nc, jsm, stream, first, end, async (batch) => {
      push(batch);
      await fw.fold(targets, false, false);
      if (progress.due()) {
        targets = await liveTargets(deps, projection);
        progress.update('read', read - first + 1, events());
      }
    });
    // Catch-up: the live projector moved on meanwhile; bring each fold to its checkpoint (or, without
    // one, to the end), held blocks included.
    for (let round = 0; round < 5; round++) {
      targets = await liveTargets(deps, projection);
      const need = Math.max(...[...targets.values()].filter(Number.isFinite), read);
      if (need > read) {
        await readRange(
          nc,
          jsm,
          stream,
          read + 1,
          Math.min(need, (await jsm.streams.info(stream)).state.last_seq),
          (b) => push(b),
        );
      }
      await fw.fold(targets, true, true);
      progress.update('catch-up', read - first + 1, events(), true);
      if (folds.every((f) => f.queued === 0 || f.position.seq >= targets.get(f.name)!)) break;
    }
    rows = await fw.finish();
    foldSec = progress.elapsedSec;
    progress.update('keys', read - first + 1, events(), true);
    await restoreKeys(pg, keys);
    keysSec = progress.elapsedSec - foldSec;
    if (opts.swap !== false) {
      progress.update('swap', read - first + 1, events(), true);
      swap = await swapIn(pg, deps.redis, log, {
        chainId,
        projection,
        schema,
        archive,
        liveSchema,
        confirmedBlock,
        folds,
        readTo: async (seq) => {
          if (seq > read) await readRange(nc, jsm, stream, read + 1, seq, (b) => push(b));
        },
        foldTo: (t) => fw.swapFold(t),
        pools: () => fw.pools(),
      });
      if (opts.keepArchive === false) await pg.query(`DROP SCHEMA IF EXISTS "${archive}" CASCADE`);
    }
  } finally {
    await fw.close();
  }
  const seconds = progress.elapsedSec;
  const swapSec = seconds - foldSec - keysSec;
  const total = events();
  progress.update('done', read - first + 1, total, true);
  const result: RebuildResult = {
    projection: projection.name,
    partitions: folds.map((f) => f.name),
    stream,
    schema,
    swapped: swap !== null,
    archive: swap !== null && opts.keepArchive !== false ? archive : null,
    entries: read - first + 1,
    events: total,
    blocks: folds.reduce((n, f) => n + f.blocks, 0),
    dropped: folds.reduce((n, f) => n + f.dropped, 0),
    rows,
    seconds,
    eventsPerSec: Math.round(total / seconds),
    entriesPerSec: Math.round((read - first + 1) / seconds),
    phases: {
      foldSec,
      keysSec,
      swapSec,
      readWaitSec: readWait.ms / 1000,
      copyWaitSec: (copyWait.ms + fw.copyWaitMs) / 1000,
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
  const e = decodeEntry(m.data);
  return e.kind === 'rollback' ? e.toBlock : e.blockNumber;
}
