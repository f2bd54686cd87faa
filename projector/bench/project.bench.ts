/**
 * `npm run bench:project`: entries/s folded from the JetStream ledger into Postgres (and Redis) by a
 * fresh projection (new database, new consumer names) catching up over a whole ledger of ≥ 50,000
 * entries, and the process's peak RSS. Last line: {"entriesPerSec","cpuUsPerEntry","postgresUsPerEntry","natsUsPerEntry","rssMB"}
 * (`cpuUsPerEntry`: this process's CPU time per entry, `process.cpuUsage()`), and the CPU per entry of
 * the database's Postgres backends and of the NATS server (`postgresUsPerEntry`, `natsUsPerEntry`).
 *
 * The ledger is built once from a cached devnet state (seed BENCH_SEED, BENCH_TRANSACTIONS) by a real
 * ingest process and reused by later runs. The projector runs in this process (all partitions), as
 * `projector/src/main.ts` would run it.
 */
import { writeFile } from 'node:fs/promises';
import { Session } from 'node:inspector';
import { jetstream, jetstreamManager } from '@nats-io/jetstream';
import { connect } from '@nats-io/transport-node';
import { createTestDatabase, waitFor } from '@tickstream/deploy/local';
import { allPartitions, createLogger, loadConfig, partitionSubject, streamName } from '@tickstream/shared';
import { Redis } from 'ioredis';
import pg from 'pg';
import type { ProjectorConfig } from '../src/config';
import { feedTarget, runProjector } from '../src/service';
import { benchLedger } from './ledger';
import { ServerCpu } from './server-cpu';

/**
 * BENCH_CPU_PROF=file: a V8 CPU profile of the projection alone (not the ledger build), to that file;
 * with BENCH_HEAP_PROF=1 an allocation profile instead (every object, collected or not).
 */
async function startProfile(): Promise<() => Promise<string>> {
  const session = new Session();
  session.connect();
  const post = (method: string, params?: object) =>
    new Promise<unknown>((resolve, reject) =>
      session.post(method, params, (err, res) => (err ? reject(err) : resolve(res))),
    );
  const heap = process.env.BENCH_HEAP_PROF === '1'; // allocation sampling (all objects) instead of CPU
  if (heap) {
    await post('HeapProfiler.enable');
    await post('HeapProfiler.startSampling', {
      samplingInterval: 16384,
      includeObjectsCollectedByMajorGC: true,
      includeObjectsCollectedByMinorGC: true,
    });
  } else {
    await post('Profiler.enable');
    await post('Profiler.setSamplingInterval', { interval: 500 });
    await post('Profiler.start');
  }
  return async () => {
    const { profile } = (await post(heap ? 'HeapProfiler.stopSampling' : 'Profiler.stop')) as {
      profile: unknown;
    };
    const file = process.env.BENCH_CPU_PROF!;
    await writeFile(file, JSON.stringify(profile));
    session.disconnect();
    return file;
  };
}

const SEED = Number(process.env.BENCH_SEED ?? 1);
const TRANSACTIONS = Number(process.env.BENCH_TRANSACTIONS ?? 50_000);
const PARTITIONS = Number(process.env.BENCH_PARTITIONS ?? 4);
const BATCH = process.env.BENCH_BATCH_ENTRIES ?? '5000';
const log = createLogger('bench-projector', process.env.LOG_LEVEL ?? 'warn');

const nc = await connect({ servers: process.env.NATS_URL ?? 'nats://127.0.0.1:4222' });
const jsm = await jetstreamManager(nc);
const ledger = await benchLedger(nc, {
  seed: SEED,
  transactions: TRANSACTIONS,
  txPerBlock: 100,
  partitions: PARTITIONS,
});
const stream = streamName(ledger.prefix, ledger.chainId);
console.log(
  `ledger ${stream}: ${ledger.entries} entries up to block ${ledger.head} (${ledger.built ? 'built now' : 'reused'})`,
);

const db = await createTestDatabase('bench_projector');
const pool = new pg.Pool({ connectionString: db.url, max: PARTITIONS + 3 });
// A Redis database of its own: the bench's head and pools must not leak into `ts:31337:*` of database 0,
// which a running api or test reads.
const redis = new Redis(process.env.BENCH_REDIS_URL ?? 'redis://127.0.0.1:6379/12', {
  enableOfflineQueue: false,
  lazyConnect: true,
});
// Other projector settings (FINALITY_INTERVAL_MS, …) may come from the environment.
const cfg: ProjectorConfig = loadConfig('projector', {
  ...process.env,
  DATABASE_URL: db.url,
  LEDGER_STREAM_PREFIX: ledger.prefix,
  CHAIN_ID: String(ledger.chainId),
  PARTITIONS: String(PARTITIONS),
  PROJECTOR_CONSUMER_NAME: `bench${Date.now()}`,
  PROJECTOR_BATCH_ENTRIES: String(BATCH),
  CONTROL_PLANE: 'none',
  ...(process.env.SNAPSHOT_EVERY_BLOCKS === undefined
    ? {}
    : { SNAPSHOT_EVERY_BLOCKS: process.env.SNAPSHOT_EVERY_BLOCKS }),
});
const partitions = allPartitions(PARTITIONS);
const lastSeq = new Map<string, number>();
for (const p of partitions) {
  const m = await jsm.streams.getMessage(stream, {
    last_by_subj: partitionSubject(ledger.prefix, ledger.chainId, p),
  });
  lastSeq.set(String(p), m?.seq ?? 0);
}

try {
  await redis.connect();
  if (process.env.BENCH_DEBUG)
    console.log(`rss before projection ${Math.round(process.resourceUsage().maxRSS / 1024)} MB`);
  const peak = { rss: 0, heapUsed: 0, heapTotal: 0, external: 0, arrayBuffers: 0 };
  const sampler = process.env.BENCH_DEBUG
    ? setInterval(() => {
        if (process.env.BENCH_DEBUG === 'gc') (globalThis as unknown as { gc: () => void }).gc();
        const m = process.memoryUsage();
        for (const k of Object.keys(peak) as (keyof typeof peak)[])
          peak[k] = Math.max(peak[k], Math.round(m[k] / 2 ** 20));
      }, 50)
    : undefined;
  const controller = new AbortController();
  const servers = await ServerCpu.start([db.name]);
  const profiler = process.env.BENCH_CPU_PROF ? await startProfile() : undefined;
  const start = performance.now();
  const cpu0 = process.cpuUsage();
  let failed: unknown;
  const running = runProjector(
    { pg: pool, redis, js: jetstream(nc), jsm, log, cfg },
    controller.signal,
  ).catch((err: unknown) => {
    failed = err;
  });
  await waitFor(
    async () => {
      if (failed !== undefined) throw failed;
      const { rows } = await pool
        .query<{ partition: string; stream_seq: string }>(
          'SELECT partition, stream_seq FROM proj_checkpoints',
        )
        .catch(() => ({ rows: [] }));
      const at = new Map(rows.map((r) => [r.partition, Number(r.stream_seq)]));
      return [...lastSeq].every(([p, seq]) => (at.get(p) ?? 0) >= seq);
    },
    { timeoutMs: 1_800_000, what: 'the projection to catch up', intervalMs: 20, maxIntervalMs: 50 },
  );
  const secs = (performance.now() - start) / 1000;
  const cpu = process.cpuUsage(cpu0);
  const server = await servers.stop();
  if (profiler !== undefined) console.log(`cpu profile of the projection: ${await profiler()}`);
  clearInterval(sampler);
  if (sampler !== undefined) console.log(`memory peaks (MB): ${JSON.stringify(peak)}`);
  controller.abort();
  await running;
  const rows = await pool.query<{ t: string; n: number }>(
    `SELECT 'events' AS t, count(*)::int AS n FROM events UNION ALL SELECT 'pool_history', count(*)::int FROM pool_history
     UNION ALL SELECT 'tick_history', count(*)::int FROM tick_history UNION ALL SELECT 'position_history', count(*)::int FROM position_history`,
  );
  const rssMB = Math.round(process.resourceUsage().maxRSS / 1024);
  const entriesPerSec = Math.round(ledger.entries / secs);
  // CPU of this process (the projector, plus the bench's checkpoint polling) per entry: robust when the
  // machine is shared, unlike entries/s.
  const cpuUsPerEntry = Number(((cpu.user + cpu.system) / ledger.entries).toFixed(1));
  console.log(
    `projected ${ledger.entries} entries in ${secs.toFixed(2)} s = ${entriesPerSec} entries/s (target ≥ 10,000)`,
  );
  console.log(
    `projector CPU ${cpuUsPerEntry} µs per entry (user ${Math.round(cpu.user / 1000)} ms, system ${Math.round(cpu.system / 1000)} ms)`,
  );
  console.log(
    `rows written: ${rows.rows.map((r) => `${r.t} ${r.n}`).join(', ')}; batches of ≤ ${BATCH} entries`,
  );
  const postgresUsPerEntry = Number(((1e6 * server.postgresSec) / ledger.entries).toFixed(1));
  const natsUsPerEntry = Number(((1e6 * server.natsSec) / ledger.entries).toFixed(1));
  console.log(`Postgres backends CPU ${postgresUsPerEntry} µs per entry, NATS server ${natsUsPerEntry} µs`);
  console.log(`peak RSS ${rssMB} MB`);
  if (ledger.entries < 50_000) console.log(`warning: only ${ledger.entries} entries (< 50,000)`);
  console.log(JSON.stringify({ entriesPerSec, cpuUsPerEntry, postgresUsPerEntry, natsUsPerEntry, rssMB }));
} finally {
  for (const p of partitions)
    await jsm.consumers.delete(stream, feedTarget(cfg, p).durable).catch(() => false);
  await pool.end();
  const keys = await redis.keys(`ts:${ledger.chainId}:*`).catch(() => [] as string[]);
  if (keys.length > 0) await redis.del(...keys).catch(() => 0);
  redis.disconnect();
  await nc.close();
  await db.drop();
}
