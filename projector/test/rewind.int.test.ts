/**
 * Rewinds on real NATS and Postgres, from real logs (a devnet workload appended by a real ingest), with
 * reorgs simulated in the ledger: rollback entries and fork blocks with other hashes, appended with
 * ingest's LedgerWriter. The oracle is a fresh projection of the canonical ledger (the same real logs
 * without the orphaned fork): its latest rows and its history must equal the rewound projection's
 * latest rows and non-orphaned history, row for row.
 */
import { jetstreamManager } from '@nats-io/jetstream';
import { connect, type NatsConnection } from '@nats-io/transport-node';
import { type RunningDevnet, runWorkload, startDevnet } from '@tickstream/deploy/devnet';
import { createTestDatabase, freePort, type TestDatabase, waitFor } from '@tickstream/deploy/local';
import { allPartitions, type Hex, type LedgerEntry, streamName } from '@tickstream/shared';
import { Redis } from 'ioredis';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readStream } from '../../ingest/test/support/ledger';
import { type ServiceProcess, spawnService } from '../../ingest/test/support/process';
import { benchLedger } from '../bench/ledger';
import { rewindPartitions } from '../src/rewind';
import { readCheckpointState } from '../src/store';
import {
  blocksIn,
  CHAIN,
  canonicalHistory,
  emptyBlock,
  forkHash,
  InProcessProjector,
  latestRows,
  projectorConfig,
  rehash,
  rollbackEntries,
  rowsOfHashes,
  statusCounts,
  TestLedger,
  waitConsumed,
} from './support/fork';
import {
  dropRedisKeys,
  headNumber,
  ingestEnv,
  PARTITIONS,
  TEST_REDIS_URL,
  uniquePrefix,
  waitForLedger,
} from './support/stack';

const SEED = Number(process.env.TEST_SEED ?? 20261123);
const PARTS = allPartitions(PARTITIONS);

let devnet: RunningDevnet;
let nc: NatsConnection;
let redis: Redis;
let ingest: ServiceProcess | undefined;
const dbs: TestDatabase[] = [];
const pools: pg.Pool[] = [];
const urls = new Map<pg.Pool, string>();
const ledgers: TestLedger[] = [];
const streams: string[] = [];
const projectors: InProcessProjector[] = [];

/** The real ledger of the devnet's history. */
let source: LedgerEntry[];
let head: number;
const hashOfReal = new Map<number, Hex>();

async function database(name: string): Promise<pg.Pool> {
  const db = await createTestDatabase(name);
  dbs.push(db);
  const pool = new pg.Pool({ connectionString: db.url, max: 8 });
  pools.push(pool);
  urls.set(pool, db.url);
  return pool;
}

async function ledger(name: string, entries: readonly LedgerEntry[]): Promise<TestLedger> {
  const l = await TestLedger.create(nc, uniquePrefix(name));
  ledgers.push(l);
  streams.push(l.stream);
  if (entries.length > 0) await l.append(entries);
  return l;
}

async function projector(
  l: TestLedger,
  db: pg.Pool,
  extra: Record<string, string> = {},
  afterCommit?: () => void,
): Promise<InProcessProjector> {
  const cfg = projectorConfig(l.prefix, urls.get(db)!, extra);
  const p = await InProcessProjector.create(nc, db, redis, cfg, afterCommit);
  projectors.push(p);
  return p;
}

/** Projects `entries` from scratch into a fresh database: the oracle. */
async function freshProjection(name: string, entries: readonly LedgerEntry[]): Promise<pg.Pool> {
  const l = await ledger(name, entries);
  const db = await database(name);
  const p = await projector(l, db);
  p.start();
  await waitConsumed(p, l.stream);
  await p.stop();
  return db;
}

beforeAll(async () => {
  devnet = await startDevnet({ port: await freePort(), genesisTimestamp: 1_700_000_000 });
  await runWorkload(devnet, { seed: SEED, transactions: 1_200, txPerBlock: 5 });
  nc = await connect({ servers: 'nats://127.0.0.1:4222' });
  redis = new Redis(TEST_REDIS_URL);
  const prefix = uniquePrefix('rwsrc');
  streams.push(streamName(prefix, devnet.chainId));
  const db = await createTestDatabase('rewind_ingest');
  dbs.push(db);
  ingest = spawnService('ingest/src/main.ts', ingestEnv(devnet, prefix, db.url));
  head = await headNumber(devnet.rpcUrl);
  await waitForLedger(nc, prefix, devnet.chainId, head);
  await ingest.kill();
  source = (await readStream(nc, streamName(prefix, devnet.chainId))).map((s) => s.entry);
  for (const e of source) if (e.kind === 'seal') hashOfReal.set(e.blockNumber, e.blockHash);
}, 600_000);

afterAll(async () => {
  for (const p of projectors) await p.stop().catch(() => undefined);
  await ingest?.kill();
  for (const l of ledgers) l.close();
  if (nc !== undefined) {
    const jsm = await jetstreamManager(nc);
    for (const s of streams) await jsm.streams.delete(s).catch(() => false);
  }
  await nc?.close();
  if (redis !== undefined) await dropRedisKeys(redis, CHAIN);
  redis?.disconnect();
  await devnet?.stop();
  for (const p of pools) await p.end();
  for (const db of dbs) await db.drop();
});

describe('rewind on a ledger of real logs with a simulated reorg', () => {
  // The reorg: blocks B+1..H-2 were projected on the old fork; ingest (not parked) appends H-1..H of the
  // old fork after the rewind; the new fork keeps the logs of B+1..B+4 (new hashes) and has empty
  // blocks B+5..H+1.
  let B: number;
  let hashB: Hex;
  let base: LedgerEntry[];
  let oldTail: LedgerEntry[];
  let newFork: LedgerEntry[];
  let oldForkHashes: Hex[];
  const R = 'r-test-1';
  const newHash = (n: number): Hex => (n <= B ? hashOfReal.get(n)! : forkHash(n, 'b'));

  let L: TestLedger;
  let dbA: pg.Pool;
  let oracle: pg.Pool;

  beforeAll(() => {
    B = head - 10;
    hashB = hashOfReal.get(B)!;
    expect(hashB).toBeDefined();
    base = blocksIn(source, 0, head - 2);
    oldTail = blocksIn(source, head - 1, head);
    const kept = rehash(blocksIn(source, B + 1, B + 4), newHash);
    const empty: LedgerEntry[] = [];
    for (let n = B + 5; n <= head + 1; n++)
      empty.push(...emptyBlock(n, newHash(n), newHash(n - 1), PARTITIONS));
    newFork = [...kept, ...empty];
    oldForkHashes = [];
    for (let n = B + 1; n <= head; n++) oldForkHashes.push(hashOfReal.get(n)!);
    expect(blocksIn(source, B + 1, head).filter((e) => e.kind === 'log').length).toBeGreaterThan(20);
  });

  it('default: a rewind by command equals a fresh projection of the canonical ledger up to B; orphaned rows are marked, not deleted', async () => {
    L = await ledger('rwa', base);
    dbA = await database('rewind_a');
    const a = await projector(L, dbA);
    a.start();
    await waitConsumed(a, L.stream);
    await a.stop();
    const before = await rowsOfHashes(dbA, oldForkHashes);
    const countsBefore = await statusCounts(dbA);

    const t0 = performance.now();
    const results = await rewindPartitions(a.deps, PARTS, B, R);
    const ms = performance.now() - t0;
    console.log(
      `rewind by command to ${B} (depth ${head - 2 - B}): ${Math.round(ms)} ms; ${JSON.stringify(
        results.map((r) => ({
          p: String(r.partition),
          snapshot: r.snapshot?.block ?? null,
          replayed: r.replay.entries,
          folded: r.replay.folded,
          orphaned: r.orphaned,
          ms: Math.round(r.ms),
        })),
      )}`,
    );
    for (const r of results) {
      expect(r).toMatchObject({
        repeated: false,
        marks: { skip: { reorgId: R, toBlock: B }, lastReorgId: R },
      });
      expect(r.checkpoint).toMatchObject({ blockNumber: B, blockHash: hashB });
      expect(r.snapshot).not.toBeNull(); // replayed from a snapshot, not from the stream's start
    }

    const o1 = await freshProjection('rwo1', blocksIn(source, 0, B));
    expect(await latestRows(dbA)).toEqual(await latestRows(o1));
    expect(await canonicalHistory(dbA)).toEqual(await canonicalHistory(o1));

    // Every row of the orphaned blocks is still there, marked orphaned; nothing else changed status.
    const after = await rowsOfHashes(dbA, oldForkHashes);
    let orphanedRows = 0;
    for (const [t, byStatus] of Object.entries(before)) {
      const had = Object.values(byStatus).reduce((x, y) => x + y, 0);
      orphanedRows += had;
      expect(after[t], t).toEqual(had === 0 ? {} : { orphaned: had });
    }
    expect(orphanedRows).toBeGreaterThan(20);
    const countsAfter = await statusCounts(dbA);
    for (const t of Object.keys(countsBefore)) {
      const total = (c: Record<string, number> | undefined) =>
        Object.values(c ?? {}).reduce((x, y) => x + y, 0);
      expect(total(countsAfter[t]), t).toBe(total(countsBefore[t]));
    }

    // The same reorg again: nothing happens.
    const rowsNow = await latestRows(dbA);
    const again = await rewindPartitions(a.deps, PARTS, B, R);
    expect(again.every((r) => r.repeated)).toBe(true);
    expect(await latestRows(dbA)).toEqual(rowsNow);
    expect(await statusCounts(dbA)).toEqual(countsAfter);
  });

  it('behavior: after the rewind the old fork still arriving is skipped (across a restart) until the rollback entry, which is only passed; then the new fork is applied once', async () => {
    const cfgRows = await latestRows(dbA);
    // Ingest was not parked: two more blocks of the old fork reach the ledger after the rewind.
    await L.append(oldTail);
    const a1 = await projector(L, dbA);
    a1.start();
    await waitConsumed(a1, L.stream);
    await a1.stop();
    expect(await latestRows(dbA)).toEqual(cfgRows); // skipped: nothing applied, checkpoints still at B
    expect(await rowsOfHashes(dbA, [hashOfReal.get(head - 1)!, hashOfReal.get(head)!])).toEqual({
      pool_history: {},
      tick_history: {},
      position_history: {},
      events: {},
    });
    for (const p of PARTS) {
      const s = await readCheckpointState(dbA, CHAIN, p);
      expect(s.marks.skip).toEqual({ reorgId: R, toBlock: B }); // persisted
    }

    // Ingest's rollback entries and the new fork; a projector stopped after a few commits, then another.
    await L.append([...rollbackEntries(B, hashB, R, PARTITIONS), ...newFork]);
    let commits = 0;
    let a2: InProcessProjector | undefined;
    a2 = await projector(L, dbA, { PROJECTOR_BATCH_ENTRIES: '8' }, () => {
      if (++commits === 3) void a2?.stop();
    });
    a2.start();
    await waitFor(
      () => {
        a2?.check(); // a projector that failed says why instead of leaving this wait to hang
        return commits >= 3;
      },
      { timeoutMs: 120_000, what: 'three commits of the projector stopped half-way' },
    );
    await a2.stop();
    const a3 = await projector(L, dbA);
    a3.start();
    await waitConsumed(a3, L.stream);
    await a3.stop();

    const oracle2 = await freshProjection('rwo2', [...blocksIn(source, 0, B), ...newFork]);
    oracle = oracle2;
    expect(await latestRows(dbA)).toEqual(await latestRows(oracle));
    expect(await canonicalHistory(dbA)).toEqual(await canonicalHistory(oracle));
    for (const p of PARTS) {
      const s = await readCheckpointState(dbA, CHAIN, p);
      expect(s.marks).toEqual({ skip: null, lastReorgId: R });
      expect(s.checkpoint?.blockNumber).toBe(head + 1);
    }
  });

  it('behavior: a fresh projection of the same ledger (old fork, rollback entry in the stream, new fork), stopped half-way and restarted, gives identical rows', async () => {
    const dbD = await database('rewind_d');
    let commits = 0;
    let d1: InProcessProjector | undefined;
    d1 = await projector(L, dbD, { PROJECTOR_BATCH_ENTRIES: '50' }, () => {
      if (++commits === 12) void d1?.stop();
    });
    d1.start();
    await waitFor(
      () => {
        d1?.check();
        return commits >= 12;
      },
      { timeoutMs: 120_000, what: 'twelve commits of the projector stopped half-way' },
    );
    await d1.stop();
    const d2 = await projector(L, dbD);
    d2.start();
    await waitConsumed(d2, L.stream);
    await d2.stop();
    // Same ledger: same rows and the same checkpoints (stream sequences included).
    expect(await latestRows(dbD)).toEqual(await latestRows(dbA));
    expect(await canonicalHistory(dbD)).toEqual(await canonicalHistory(oracle));
    const seqs = async (db: pg.Pool) =>
      (await db.query('SELECT partition, stream_seq FROM proj_checkpoints ORDER BY partition')).rows;
    expect(await seqs(dbD)).toEqual(await seqs(dbA));
    // The in-stream rewind marked the old fork's rows it had written.
    const orphaned = await rowsOfHashes(dbD, oldForkHashes);
    expect(
      Object.values(orphaned).every((byStatus) => Object.keys(byStatus).every((s) => s === 'orphaned')),
    ).toBe(true);
    expect(orphaned.events?.orphaned ?? 0).toBeGreaterThan(0);
  });

  it('behavior: an operator rollback that re-appends the same blocks (same hashes) leaves them canonical again', async () => {
    const B2 = B + 2;
    const R2 = 'r-test-operator';
    const a = await projector(L, dbA);
    const results = await rewindPartitions(a.deps, PARTS, B2, R2);
    expect(results.every((r) => r.checkpoint?.blockNumber === B2)).toBe(true);
    const fork = blocksIn(newFork, B2 + 1, head + 1);
    const hashes = [...new Set(fork.map((e) => (e.kind === 'rollback' ? '' : e.blockHash)))];
    const marked = await rowsOfHashes(dbA, hashes);
    expect(marked.events?.orphaned ?? 0).toBeGreaterThan(0);
    expect(Object.keys(marked.events ?? {})).toEqual(['orphaned']);
    // ingest's roll-back step: rollback entries, then the same blocks again (a new epoch in message ids)
    await L.append(rollbackEntries(B2, newHash(B2), R2, PARTITIONS));
    L.epoch = R2;
    await L.append(fork);
    a.start();
    await waitConsumed(a, L.stream);
    await a.stop();
    expect(await latestRows(dbA)).toEqual(await latestRows(oracle));
    expect(await canonicalHistory(dbA)).toEqual(await canonicalHistory(oracle));
    const revived = await rowsOfHashes(dbA, hashes);
    for (const byStatus of Object.values(revived)) expect(byStatus.orphaned ?? 0).toBe(0);
  });

  it('behavior: the finality task confirms rows FINALITY_DEPTH below the checkpoint, never orphaned ones', async () => {
    const a = await projector(L, dbA, { FINALITY_INTERVAL_MS: '100', FINALITY_DEPTH: '4' });
    a.start();
    const confirmedTo = head + 1 - 4;
    const deadline = Date.now() + 30_000;
    for (;;) {
      const { rows } = await dbA.query<{ n: number }>(
        `SELECT count(*)::int AS n FROM events WHERE chain_id = $1 AND status = 'unconfirmed' AND block_number <= $2`,
        [CHAIN, confirmedTo],
      );
      if (rows[0]!.n === 0) break;
      if (Date.now() > deadline) throw new Error(`${rows[0]!.n} events still unconfirmed`);
      await new Promise((r) => setTimeout(r, 100));
    }
    await a.stop();
    for (const t of ['pool_history', 'tick_history', 'position_history', 'events']) {
      const { rows } = await dbA.query<{ status: string; hi: string; lo: string }>(
        `SELECT status, max(block_number) AS hi, min(block_number) AS lo FROM ${t} WHERE chain_id = $1 GROUP BY status`,
        [CHAIN],
      );
      const by = Object.fromEntries(rows.map((r) => [r.status, r]));
      expect(Number(by.confirmed?.hi), t).toBeLessThanOrEqual(confirmedTo);
      if (by.unconfirmed !== undefined) expect(Number(by.unconfirmed.lo), t).toBeGreaterThan(confirmedTo);
      expect(by.orphaned, t).toBeDefined(); // still orphaned
    }
  });
});

describe('rewind cost follows the entries since the snapshot, not the ledger', () => {
  it('default: ≥ 100,000 entries behind the snapshot, rewinds of depth 1, 12 and 64; depth 12 well under 250 ms', async () => {
    const spec = { seed: 7, transactions: 72_000, txPerBlock: 100, partitions: PARTITIONS };
    const big = await benchLedger(nc, spec);
    const db = await database('rewind_perf');
    const url = urls.get(db)!;
    const p = await InProcessProjector.create(
      nc,
      db,
      undefined,
      projectorConfig(big.prefix, url, {
        PROJECTOR_BATCH_ENTRIES: '5000',
        // Rewinds of depth 64 need finality above 64 (snapshots are kept near the head only).
        FINALITY_DEPTH: '80',
        PROJECTOR_CONSUMER_NAME: `rwperf${Date.now()}`,
        CHAIN_ID: String(big.chainId),
      }),
    );
    projectors.push(p);
    const t0 = performance.now();
    p.start();
    await waitConsumed(p, streamName(big.prefix, big.chainId), 1_200_000);
    await p.stop();
    const projectMs = performance.now() - t0;
    console.log(
      `bench ledger: ${big.entries} entries, head ${big.head}; projected from scratch in ${Math.round(projectMs)} ms`,
    );
    expect(big.entries).toBeGreaterThanOrEqual(100_000);
    const out: Record<string, unknown>[] = [];
    for (const depth of [1, 12, 64]) {
      const to = big.head - depth;
      const start = performance.now();
      const results = await rewindPartitions(p.deps, PARTS, to, `perf-${depth}`);
      const ms = performance.now() - start;
      const line = {
        depth,
        toBlock: to,
        ms: Math.round(ms),
        snapshotSeqMin: Math.min(...results.map((r) => r.snapshot?.seq ?? 0)),
        replayedEntries: results.reduce((n, r) => n + r.replay.entries, 0),
        foldedBlocks: results.reduce((n, r) => n + r.replay.folded, 0),
        orphanedRows: results.reduce(
          (n, r) =>
            n +
            r.orphaned.events +
            r.orphaned.pool_history +
            r.orphaned.tick_history +
            r.orphaned.position_history,
          0,
        ),
        perPartition: results.map((r) => ({
          p: String(r.partition),
          snapshot: r.snapshot?.block,
          kb: Math.round((r.snapshot?.bytes ?? 0) / 1024),
          entries: r.replay.entries,
          folded: r.replay.folded,
          ms: Math.round(r.ms),
          phases: Object.fromEntries(Object.entries(r.phases).map(([k, v]) => [k, Math.round(v)])),
        })),
      };
      out.push(line);
      console.log(`rewind depth ${depth}: ${JSON.stringify(line)}`);
      for (const r of results) expect(r.snapshot).not.toBeNull();
      expect(line.snapshotSeqMin).toBeGreaterThanOrEqual(100_000);
      if (depth === 12) expect(ms).toBeLessThan(250);
    }
    const jsm = await jetstreamManager(nc);
    for (const part of PARTS)
      await jsm.consumers
        .delete(
          streamName(big.prefix, big.chainId),
          `${big.prefix}_${p.deps.cfg.PROJECTOR_CONSUMER_NAME}_${part}`,
        )
        .catch(() => false);
    console.log(
      JSON.stringify({
        ledgerEntries: big.entries,
        rewinds: out.map((l) => ({ depth: l.depth, ms: l.ms, replayedEntries: l.replayedEntries })),
      }),
    );
  });
});
