/**
 * `npx tsx projector/bench/rewind.bench.ts`: how long a projector's rollback step takes (every partition
 * rewound to head − depth by `rewindPartitions`) for depths 1, 12 and 64, on the bench ledger (a cached
 * devnet state of BENCH_TRANSACTIONS transactions, ≥ 100,000 entries, built once by a real ingest).
 *
 * The projection of the whole ledger is made once into a database kept between runs
 * (`ts_bench_rewind_base_<key>`, `BENCH_REBUILD=1` to make it again); each depth then runs on a copy of
 * it (`CREATE DATABASE … TEMPLATE`), so every rewind starts from the same state at the head. Prints one
 * line per depth and a JSON summary last. Each depth is measured with the snapshots in memory (the
 * projector process that wrote them rewinds) and read from Postgres (a rewind after a restart).
 */
import { jetstream, jetstreamManager } from '@nats-io/jetstream';
import { connect } from '@nats-io/transport-node';
import { DEFAULT_PG_ADMIN_URL, waitFor } from '@tickstream/deploy/local';
import { allPartitions, createLogger, loadConfig, partitionSubject, streamName } from '@tickstream/shared';
import pg from 'pg';
import type { ProjectorConfig } from '../src/config';
import { rewindPartitions } from '../src/rewind';
import { feedTarget, runProjector } from '../src/service';
import { readSnapshot, SnapshotCache } from '../src/store';
import { benchLedger } from './ledger';

const SEED = Number(process.env.BENCH_SEED ?? 7);
const TRANSACTIONS = Number(process.env.BENCH_TRANSACTIONS ?? 72_000);
const PARTITIONS = 4;
const DEPTHS = [1, 12, 64];
/** Runs per depth (each on a fresh copy); the median is reported. */
const REPEAT = Number(process.env.BENCH_REPEAT ?? 3);
const log = createLogger('bench-rewind', process.env.LOG_LEVEL ?? 'warn');
const adminUrl = process.env.PG_ADMIN_URL ?? DEFAULT_PG_ADMIN_URL;

async function admin(sql: string): Promise<void> {
  const c = new pg.Client({ connectionString: adminUrl });
  await c.connect();
  try {
    await c.query(sql);
  } finally {
    await c.end();
  }
}

function urlOf(name: string): string {
  const u = new URL(adminUrl);
  u.pathname = `/${name}`;
  return u.toString();
}

const nc = await connect({ servers: process.env.NATS_URL ?? 'nats://127.0.0.1:4222' });
const jsm = await jetstreamManager(nc);
const ledger = await benchLedger(nc, {
  seed: SEED,
  transactions: TRANSACTIONS,
  txPerBlock: 100,
  partitions: PARTITIONS,
});
const stream = streamName(ledger.prefix, ledger.chainId);
const base = `ts_bench_rewind_base_s${SEED}_t${TRANSACTIONS}`;
const config = (db: string): ProjectorConfig =>
  loadConfig('projector', {
    DATABASE_URL: urlOf(db),
    LEDGER_STREAM_PREFIX: ledger.prefix,
    CHAIN_ID: String(ledger.chainId),
    PARTITIONS: String(PARTITIONS),
    PROJECTOR_CONSUMER_NAME: 'benchrewind',
    CONTROL_PLANE: 'none',
  });
const partitions = allPartitions(PARTITIONS);

/** True when `db` holds the whole ledger projected (every partition checkpointed at its last entry). */
async function complete(db: string): Promise<boolean> {
  const pool = new pg.Pool({ connectionString: urlOf(db), max: 1 });
  try {
    const { rows } = await pool.query<{ partition: string; stream_seq: string }>(
      'SELECT partition, stream_seq FROM proj_checkpoints',
    );
    const at = new Map(rows.map((r) => [r.partition, Number(r.stream_seq)]));
    for (const p of partitions) {
      const last = await jsm.streams.getMessage(stream, {
        last_by_subj: partitionSubject(ledger.prefix, ledger.chainId, p),
      });
      if ((at.get(String(p)) ?? 0) < (last?.seq ?? 0)) return false;
    }
    return true;
  } catch {
    return false;
  } finally {
    await pool.end();
  }
}

/**
 * One rewind of every partition to head − depth on a fresh copy of the base database; its ms. `warm`:
 * the snapshots are in memory first (as in the projector process that wrote them); else they are read
 * from Postgres (a rewind after a restart).
 */
async function rewindOnCopy(depth: number, warm: boolean): Promise<number> {
  const copy = `ts_bench_rewind_${depth}_${process.pid}`;
  await admin(`CREATE DATABASE "${copy}" TEMPLATE "${base}"`);
  const cfg = config(copy);
  const pool = new pg.Pool({ connectionString: cfg.DATABASE_URL, max: PARTITIONS + 3 });
  pool.on('error', () => undefined); // the copy is dropped WITH (FORCE) right after
  try {
    await pool.query('SELECT 1 FROM proj_checkpoints LIMIT 1'); // connect before the clock starts
    const to = ledger.head - depth;
    let snapshots: SnapshotCache | undefined;
    if (warm) {
      snapshots = new SnapshotCache();
      for (const p of partitions) {
        const { rows } = await pool.query<{ stream_seq: string; block_number: string }>(
          'SELECT stream_seq, block_number FROM proj_snapshots WHERE partition = $1 ORDER BY stream_seq DESC LIMIT 4',
          [String(p)],
        );
        for (const r of rows.reverse()) {
          const ref = { seq: Number(r.stream_seq), blockNumber: Number(r.block_number), blockHash: '' };
          const snap = await readSnapshot(pool, ledger.chainId, p, ref);
          snapshots.put(p, ref, snap.model);
        }
      }
    }
    const t0 = performance.now();
    const results = await rewindPartitions(
      { pg: pool, redis: undefined, js: jetstream(nc), jsm, log, cfg, ...(snapshots ? { snapshots } : {}) },
      partitions,
      to,
      `bench-${depth}`,
    );
    const ms = performance.now() - t0;
    console.log(
      `  depth ${depth} (to block ${to}): ${Math.round(ms)} ms; ${JSON.stringify(
        results.map((r) => ({
          p: String(r.partition),
          snapshotBlock: r.snapshot?.block,
          snapshotSeq: r.snapshot?.seq,
          kb: Math.round((r.snapshot?.bytes ?? 0) / 1024),
          replayed: r.replay.entries,
          folded: r.replay.folded,
          orphaned:
            r.orphaned.events +
            r.orphaned.pool_history +
            r.orphaned.tick_history +
            r.orphaned.position_history,
          ms: Math.round(r.ms),
          phases: Object.fromEntries(Object.entries(r.phases).map(([k, v]) => [k, Math.round(v)])),
        })),
      )}`,
    );
    return Math.round(ms);
  } finally {
    await pool.end();
    await admin(`DROP DATABASE IF EXISTS "${copy}" WITH (FORCE)`);
  }
}

try {
  if (process.env.BENCH_REBUILD === '1' || !(await complete(base))) {
    await admin(`DROP DATABASE IF EXISTS "${base}" WITH (FORCE)`);
    await admin(`CREATE DATABASE "${base}"`);
    const cfg = config(base);
    const pool = new pg.Pool({ connectionString: cfg.DATABASE_URL, max: PARTITIONS + 3 });
    for (const p of partitions)
      await jsm.consumers.delete(stream, feedTarget(cfg, p).durable).catch(() => false);
    const controller = new AbortController();
    const t0 = performance.now();
    let failed: unknown;
    const running = runProjector(
      { pg: pool, redis: undefined, js: jetstream(nc), jsm, log, cfg },
      controller.signal,
    ).catch((err: unknown) => {
      failed = err;
    });
    await waitFor(
      async () => {
        if (failed !== undefined) throw failed;
        return complete(base);
      },
      { timeoutMs: 1_800_000, what: 'the projection of the bench ledger', maxIntervalMs: 500 },
    );
    controller.abort();
    await running;
    await pool.query('VACUUM ANALYZE');
    await pool.end();
    console.log(
      `projected ${ledger.entries} entries in ${Math.round(performance.now() - t0)} ms into ${base}`,
    );
  }
  const summary: Record<string, number> = {};
  for (const warm of [true, false]) {
    for (const depth of DEPTHS) {
      const runs: number[] = [];
      for (let run = 0; run < REPEAT; run++) runs.push(await rewindOnCopy(depth, warm));
      runs.sort((a, b) => a - b);
      const key = `depth${depth}${warm ? '' : 'Cold'}Ms`;
      summary[key] = runs[Math.floor(runs.length / 2)]!;
      console.log(
        `depth ${depth} (${warm ? 'snapshots in memory' : 'snapshots from Postgres'}): runs ${runs.join(', ')} ms; median ${summary[key]} ms`,
      );
    }
  }
  console.log(JSON.stringify({ ledgerEntries: ledger.entries, ...summary }));
} finally {
  await nc.close();
}
