import { appendFileSync, mkdirSync, readdirSync, readFileSync, readlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { jetstreamManager } from '@nats-io/jetstream';
import { connect, type NatsConnection } from '@nats-io/transport-node';
import { connectEtcd, keysFor, moduleStatusSchema, parseValue } from '@tickstream/coordinator';
import { cachedState, type RunningDevnet, runWorkload, startDevnet } from '@tickstream/deploy/devnet';
import {
  createTestDatabase,
  DATA_ROOT,
  type EtcdMember,
  freePort,
  startEtcd,
  type TestDatabase,
  waitFor,
} from '@tickstream/deploy/local';
import { allPartitions, streamName } from '@tickstream/shared';
import type { Etcd3 } from 'etcd3';
import { Redis } from 'ioredis';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type ServiceProcess, spawnService } from '../../ingest/test/support/process';
import {
  claimCounts,
  logLines,
  overlaps,
  type RunnerInterval,
  readClaims,
  readMembers,
  runnerIntervals,
} from './support/assignment';
import { expectEqualsChain } from './support/resources';
import {
  dropRedisKeys,
  headNumber,
  ingestEnv,
  PARTITIONS,
  projectorEnv,
  TEST_REDIS_URL,
  uniquePrefix,
  waitForCheckpoints,
  waitForLedger,
} from './support/stack';

const SEED = Number(process.env.TEST_SEED ?? 20261122);
const TRANSACTIONS = 1_500;
const ALL = allPartitions(PARTITIONS).map(String); // 5: 0..3 and tokens

let devnet: RunningDevnet;
let nc: NatsConnection;
let redis: Redis;
let etcdMember: EtcdMember;
let etcd: Etcd3;
let db: TestDatabase;
let pool: pg.Pool;
const children: ServiceProcess[] = [];
const streams: string[] = [];

function spawn(entry: string, env: Record<string, string>): ServiceProcess {
  const child = spawnService(entry, env);
  children.push(child);
  // Each child's output as it comes, for a failed run: .data/run/partitions-<name>.log.
  const file = join(DATA_ROOT, 'run', `partitions-${env.MODULE_ID ?? entry.split('/')[0]!}.log`);
  mkdirSync(join(DATA_ROOT, 'run'), { recursive: true }); // a fresh clone has no .data/run yet
  writeFileSync(file, '');
  child.child.stdout!.on('data', (d: Buffer) => appendFileSync(file, d));
  child.child.stderr!.on('data', (d: Buffer) => appendFileSync(file, d));
  return child;
}

const dead = (p: ServiceProcess) => p.child.exitCode !== null || p.child.signalCode !== null;

/** Undefined while every process of `live` runs, else which stopped (with its last output). */
const deathOf = (live: Record<string, ServiceProcess>) => () => {
  for (const [name, p] of Object.entries(live)) {
    if (dead(p))
      return `${name} exited (${p.child.exitCode ?? p.child.signalCode}):\n${p.output().slice(-4000)}`;
  }
  return undefined;
};

/** Time (epoch ms) of the first log line of `p` matching `msg` (and `partition`) at or after `since`. */
function lineTime(p: ServiceProcess, msg: string, since: number, partition?: string): number | undefined {
  return logLines(p.output()).find(
    (l) => l.msg === msg && l.time >= since && (partition === undefined || l.partition === partition),
  )?.time;
}

/** Local ports of the TCP sockets process `pid` holds (Linux: its fds' socket inodes in /proc/net/tcp*). */
function tcpPortsOf(pid: number): Set<number> {
  const inodes = new Set<string>();
  for (const fd of readdirSync(`/proc/${pid}/fd`)) {
    try {
      const m = /^socket:\[(\d+)\]$/.exec(readlinkSync(`/proc/${pid}/fd/${fd}`));
      if (m !== null) inodes.add(m[1]!);
    } catch {
      // closed meanwhile
    }
  }
  const ports = new Set<number>();
  for (const table of ['/proc/net/tcp', '/proc/net/tcp6']) {
    for (const line of readFileSync(table, 'utf8').split('\n').slice(1)) {
      const cols = line.trim().split(/\s+/); // sl local rem st tx:rx tr:when retrnsmt uid timeout inode
      if (cols.length > 9 && inodes.has(cols[9]!)) ports.add(Number.parseInt(cols[1]!.split(':')[1]!, 16));
    }
  }
  return ports;
}

beforeAll(async () => {
  const state = await cachedState({ seed: SEED, transactions: TRANSACTIONS, txPerBlock: 5 });
  devnet = await startDevnet({ port: await freePort(), loadState: state.path });
  nc = await connect({ servers: 'nats://127.0.0.1:4222' });
  redis = new Redis(TEST_REDIS_URL);
  // An etcd of its own: the partition keys and module registrations of this file meet no one else's.
  etcdMember = await startEtcd({
    name: 'proj-parts',
    clientPort: await freePort(),
    peerPort: await freePort(),
  });
  etcd = connectEtcd(etcdMember.clientUrl);
  db = await createTestDatabase('proj_parts');
  pool = new pg.Pool({ connectionString: db.url, max: 2 });
}, 600_000);

afterAll(async () => {
  for (const c of children) await c.kill();
  if (nc !== undefined) {
    const jsm = await jetstreamManager(nc);
    for (const s of streams) await jsm.streams.delete(s).catch(() => false);
  }
  await nc?.close();
  if (redis !== undefined) await dropRedisKeys(redis, devnet.chainId);
  redis?.disconnect();
  etcd?.close();
  await etcdMember?.stop();
  await devnet?.stop();
  await pool?.end();
  await db?.drop();
});

describe('projector processes share the partitions through etcd leases', () => {
  it('behavior: a second process takes 2 of 5, kill -9 of it: the first takes them back, state equals the chain', async () => {
    const chainId = devnet.chainId;
    const prefix = uniquePrefix('parts');
    const group = `${prefix}_projector`;
    streams.push(streamName(prefix, chainId));
    const ingestDb = await createTestDatabase('proj_parts_ingest');
    try {
      spawn('ingest/src/main.ts', ingestEnv(devnet, prefix, ingestDb.url));
      const h0 = await headNumber(devnet.rpcUrl);
      await waitForLedger(nc, prefix, chainId, h0);

      const env = (id: string) =>
        projectorEnv(chainId, prefix, db.url, {
          CONTROL_PLANE: 'etcd',
          ETCD_URL: etcdMember.clientUrl,
          PROJECTOR_ASSIGNMENT: 'etcd',
          MODULE_ID: id,
          MODULE_LEASE_TTL_S: '3',
          PROJECTOR_BATCH_ENTRIES: '100',
        });

      // 1. One process: it claims all five partitions and catches up.
      const a = spawn('projector/src/main.ts', env('proj-a'));
      await waitFor(async () => (await readClaims(etcd, chainId, group)).size === 5, {
        timeoutMs: 60_000,
        what: 'proj-a to claim every partition',
      });
      expect(claimCounts(await readClaims(etcd, chainId, group))).toEqual({ 'proj-a': 5 });
      await waitForCheckpoints(pool, chainId, h0, deathOf({ a }));

      // 2. A second process joins: 3/2, and only the two that move change owner.
      const joinAt = Date.now();
      const b = spawn('projector/src/main.ts', env('proj-b'));
      const split = await waitFor(
        async () => {
          const claims = await readClaims(etcd, chainId, group);
          const c = claimCounts(claims);
          return c['proj-a'] === 3 && c['proj-b'] === 2 ? claims : false;
        },
        { timeoutMs: 60_000, what: 'the partitions to split 3/2' },
      );
      const moved = ALL.filter((p) => split.get(p) === 'proj-b');
      const released = logLines(a.output())
        .filter((l) => l.msg === 'partition released to rebalance')
        .map((l) => l.partition);
      expect(released.sort()).toEqual([...moved].sort());
      const claimedAt = Math.max(...moved.map((p) => lineTime(b, 'partition claimed', joinAt, p)!));
      const joinedAt = lineTime(b, 'projector joined', joinAt)!;
      const stopMs = logLines(a.output())
        .filter((l) => l.msg === 'partition released to rebalance')
        .map((l) => Number(l.stopMs));
      console.log(
        `join: partitions ${moved.join(', ')} moved to proj-b, ${claimedAt - joinedAt} ms from its joining ` +
          `(${claimedAt - joinAt} ms from its spawn); proj-a stopped each after its batch in ${stopMs.join(', ')} ms`,
      );
      expect((await readMembers(etcd, chainId, group)).map((m) => m.id).sort()).toEqual(['proj-a', 'proj-b']);
      // The module status (tickstream status / modules) shows each process's partitions.
      await waitFor(
        async () => {
          const raw = await etcd.get(keysFor(chainId).module('projector', 'proj-b')).string();
          const status = raw === null ? undefined : parseValue(moduleStatusSchema, raw);
          return status?.partitions?.slice().sort().join(',') === [...moved].sort().join(',');
        },
        { timeoutMs: 10_000, what: "proj-b's module status to list its partitions" },
      );

      // 3. New blocks while both run; then kill -9 proj-b in the middle of them.
      const live = runWorkload(devnet, {
        seed: SEED + 1,
        transactions: 400,
        txPerBlock: 5,
        continueFrom: true,
      });
      await waitFor(
        async () => {
          const { rows } = await pool.query<{ partition: string; block_number: string }>(
            'SELECT partition, block_number FROM proj_checkpoints WHERE chain_id = $1',
            [chainId],
          );
          return moved.every((p) => rows.some((r) => r.partition === p && Number(r.block_number) > h0 + 10));
        },
        { timeoutMs: 120_000, what: "proj-b's partitions to project new blocks" },
      );
      const killAt = Date.now();
      b.child.kill('SIGKILL');
      await b.exited;
      await waitFor(async () => claimCounts(await readClaims(etcd, chainId, group))['proj-a'] === 5, {
        timeoutMs: 30_000,
        what: "proj-a to take proj-b's partitions over",
      });
      const takenAt = moved.map((p) => lineTime(a, 'partition claimed', killAt, p)!);
      const takeoverMs = Math.max(...takenAt) - killAt;
      const stats = await live;
      const h1 = await headNumber(devnet.rpcUrl);
      await waitForLedger(nc, prefix, chainId, h1);
      await waitForCheckpoints(pool, chainId, h1, deathOf({ a }));
      // When the taken-over partitions' feeds started on proj-a (checkpoint and model loaded).
      const feedMs =
        Math.max(...moved.map((p) => lineTime(a, 'partition starting after its checkpoint', killAt, p)!)) -
        killAt;
      console.log(
        `kill -9: proj-a claimed ${moved.join(', ')} ${takeoverMs} ms after the kill (lease TTL 3 s), ` +
          `their feeds started ${feedMs} ms after it; ${stats.transactions} transactions during, head ${h0} -> ${h1}`,
      );
      expect(takeoverMs).toBeLessThan(3 * 3_000);
      await expectEqualsChain(devnet, pool, h1, { orMorePools: true });

      // 4. No partition ever ran in two processes at once; no block applied twice.
      const endedAt = Date.now();
      const intervals: RunnerInterval[] = [
        ...runnerIntervals('proj-a', a.output(), endedAt),
        ...runnerIntervals('proj-b', b.output(), killAt),
      ];
      expect(
        intervals
          .filter((i) => i.process === 'proj-b')
          .map((i) => i.partition)
          .sort(),
      ).toEqual([...moved].sort());
      expect(overlaps(intervals)).toEqual([]);
      const dup = await pool.query(
        `SELECT count(*)::int AS n FROM (SELECT block_number, log_index FROM events WHERE chain_id = $1
          GROUP BY 1, 2 HAVING count(*) > 1) d`,
        [chainId],
      );
      expect(dup.rows[0].n).toBe(0);

      // 5. A clean stop hands over at once: a third process joins, then proj-a stops (SIGTERM).
      const c = spawn('projector/src/main.ts', env('proj-c'));
      await waitFor(
        async () => {
          const n = claimCounts(await readClaims(etcd, chainId, group));
          return n['proj-a'] === 3 && n['proj-c'] === 2;
        },
        { timeoutMs: 60_000, what: 'proj-c to take two partitions' },
      );
      const stopAt = Date.now();
      await a.kill('SIGTERM');
      expect((await a.exited).code).toBe(0);
      await waitFor(async () => claimCounts(await readClaims(etcd, chainId, group))['proj-c'] === 5, {
        timeoutMs: 30_000,
        what: "proj-c to take proj-a's partitions",
      });
      const handoverMs = Date.now() - stopAt;
      console.log(`SIGTERM: proj-c held all 5 partitions ${handoverMs} ms after proj-a was asked to stop`);
      expect(handoverMs).toBeLessThan(3_000); // the lease is revoked, not left to lapse
      const more = await runWorkload(devnet, {
        seed: SEED + 2,
        transactions: 100,
        txPerBlock: 5,
        continueFrom: true,
      });
      expect(more.transactions).toBe(100);
      const h2 = await headNumber(devnet.rpcUrl);
      await waitForLedger(nc, prefix, chainId, h2);
      await waitForCheckpoints(pool, chainId, h2, deathOf({ c }));
      await expectEqualsChain(devnet, pool, h2, { orMorePools: true });
      const all: RunnerInterval[] = [
        ...runnerIntervals('proj-a', a.output(), stopAt),
        ...runnerIntervals('proj-b', b.output(), killAt),
        ...runnerIntervals('proj-c', c.output(), Date.now()),
      ];
      expect(overlaps(all)).toEqual([]);
      await c.kill('SIGTERM');
      expect((await readClaims(etcd, chainId, group)).size).toBe(0);
    } finally {
      for (const ch of children.splice(0)) await ch.kill();
      await ingestDb.drop();
    }
  });

  // The owner is frozen in the middle of a commit: its transaction stays open, holding its partition's
  // checkpoint row. Before the takeover fence (`TakeoverFence`), the new owner's first commit waited on
  // that lock for as long as the frozen owner slept (here: forever, the test wakes it only afterwards).
  it('behavior: an owner frozen past its lease (SIGSTOP) in the middle of a commit writes nothing when it wakes; its partitions go on elsewhere', async () => {
    const chainId = devnet.chainId;
    const prefix = uniquePrefix('froz');
    const group = `${prefix}_projector`;
    streams.push(streamName(prefix, chainId));
    const ingestDb = await createTestDatabase('proj_froz_ingest');
    const ownDb = await createTestDatabase('proj_froz');
    const own = new pg.Pool({ connectionString: ownDb.url, max: 2 });
    try {
      spawn('ingest/src/main.ts', ingestEnv(devnet, prefix, ingestDb.url));
      const h0 = await headNumber(devnet.rpcUrl);
      await waitForLedger(nc, prefix, chainId, h0);
      const env = (id: string) =>
        projectorEnv(chainId, prefix, ownDb.url, {
          CONTROL_PLANE: 'etcd',
          ETCD_URL: etcdMember.clientUrl,
          PROJECTOR_ASSIGNMENT: 'etcd',
          MODULE_ID: id,
          MODULE_LEASE_TTL_S: '3',
          PROJECTOR_BATCH_ENTRIES: '100',
        });
      const x = spawn('projector/src/main.ts', env('proj-x'));
      await waitFor(async () => (await readClaims(etcd, chainId, group)).size === 5, {
        timeoutMs: 60_000,
        what: 'proj-x to claim every partition',
      });
      const y = spawn('projector/src/main.ts', env('proj-w'));
      const split = async () => {
        const claims = await readClaims(etcd, chainId, group);
        const n = claimCounts(claims);
        return n['proj-x'] === 3 && n['proj-w'] === 2 ? claims : false;
      };
      // proj-w sorts before proj-x: the extra partition still stays with proj-x, which runs more, so
      // only two move.
      const before = await waitFor(split, { timeoutMs: 60_000, what: 'the partitions to split 3/2' });
      expect(
        logLines(x.output())
          .filter((l) => l.msg === 'partition released to rebalance')
          .map((l) => l.partition),
      ).toHaveLength(2);
      const frozen = ALL.filter((p) => before.get(p) === 'proj-w');
      await waitForCheckpoints(own, chainId, h0, deathOf({ x, y }));

      const checkpoints = async () => {
        const { rows } = await own.query<{ partition: string; block_number: string }>(
          'SELECT partition, block_number FROM proj_checkpoints WHERE chain_id = $1',
          [chainId],
        );
        return new Map(rows.map((r) => [r.partition, Number(r.block_number)]));
      };
      const live = runWorkload(devnet, {
        seed: SEED + 3,
        transactions: 1_500,
        txPerBlock: 5,
        continueFrom: true,
      });
      await waitFor(
        async () => {
          const now = await checkpoints();
          return frozen.every((p) => (now.get(p) ?? 0) > h0 + 5);
        },
        { timeoutMs: 60_000, what: "proj-w's partitions to project new blocks" },
      );
      // Stopped at a random moment, proj-w is inside a commit only part of the time: stop it, and let it
      // go on at once unless one of its sessions holds a partition's checkpoint row (the transaction that
      // locks a row is its `xmax`) with Postgres waiting for its next statement or COPY data.
      const stoppedInCommit = async (): Promise<boolean> => {
        y.child.kill('SIGSTOP');
        let inCommit = false;
        try {
          const ports = tcpPortsOf(y.child.pid!);
          const { rows } = await own.query<{ client_port: number }>(
            `SELECT a.client_port FROM proj_checkpoints cp
               JOIN pg_locks l ON l.locktype = 'transactionid' AND l.transactionid = cp.xmax
                              AND l.mode = 'ExclusiveLock' AND l.granted
               JOIN pg_stat_activity a ON a.pid = l.pid
              WHERE cp.chain_id = $1
                AND (a.state = 'idle in transaction' OR (a.state = 'active' AND a.wait_event = 'ClientRead'))`,
            [chainId],
          );
          inCommit = rows.some((r) => ports.has(r.client_port));
        } finally {
          if (!inCommit) y.child.kill('SIGCONT');
        }
        return inCommit;
      };
      await waitFor(stoppedInCommit, {
        timeoutMs: 30_000,
        what: 'proj-w stopped in the middle of a commit',
      });
      const stopAt = Date.now();
      await waitFor(async () => claimCounts(await readClaims(etcd, chainId, group))['proj-x'] === 5, {
        timeoutMs: 30_000,
        what: "proj-x to take the frozen process's partitions",
      });
      const takenMs = Date.now() - stopAt;
      // proj-x projects them further while proj-w sleeps.
      const atTakeover = await checkpoints();
      await waitFor(
        async () => {
          const now = await checkpoints();
          return frozen.every((p) => (now.get(p) ?? 0) >= (atTakeover.get(p) ?? 0) + 3);
        },
        { timeoutMs: 60_000, what: 'proj-x to move the taken partitions on' },
      );
      const movedOnMs = Date.now() - stopAt - takenMs;
      // proj-x ended the frozen commit's session before starting the partition's runner.
      const evicted = logLines(x.output()).filter(
        (l) =>
          l.msg === 'a previous owner held the partition in an open transaction: its session is terminated',
      );
      expect(evicted.length).toBeGreaterThanOrEqual(1);
      expect(evicted.every((l) => frozen.includes(String(l.partition)))).toBe(true);
      const contAt = Date.now();
      y.child.kill('SIGCONT');
      await y.waitForLine(/projector lease (stale|lost)/, 30_000);
      const rejoin = await waitFor(split, {
        timeoutMs: 60_000,
        what: 'proj-w to rejoin and get two partitions',
      });
      console.log(
        `SIGSTOP ${contAt - stopAt} ms: proj-x held all 5 partitions ${takenMs} ms after the stop, ended ` +
          `${evicted.length} frozen commit(s) (partition ${evicted.map((l) => l.partition).join(', ')}) and moved the ` +
          `taken partitions on by 3 blocks ${movedOnMs} ms later; after SIGCONT ` +
          `proj-w stopped its runners, joined again and took ${ALL.filter((p) => rejoin.get(p) === 'proj-w').join(', ')}`,
      );
      await live;
      const h1 = await headNumber(devnet.rpcUrl);
      await waitForLedger(nc, prefix, chainId, h1);
      await waitForCheckpoints(own, chainId, h1, deathOf({ x, y }));
      await expectEqualsChain(devnet, own, h1, { orMorePools: true });
      // proj-w's runners ended on waking, for a stale lease (before any write) or because it was dropped.
      const wokeStops = logLines(y.output()).filter(
        (l) => l.msg === 'partition runner stopped' && l.time >= contAt - 1_000,
      );
      expect(wokeStops.map((l) => l.partition).sort()).toEqual(expect.arrayContaining([...frozen].sort()));
      const conflicts = [x, y].map(
        (p) => logLines(p.output()).filter((l) => l.msg === 'reloading the partition from Postgres').length,
      );
      console.log(`checkpoint compare-and-set conflicts (proj-x, proj-w): ${conflicts.join(', ')}`);
      const dup = await own.query(
        `SELECT count(*)::int AS n FROM (SELECT block_number, log_index FROM events WHERE chain_id = $1
          GROUP BY 1, 2 HAVING count(*) > 1) d`,
        [chainId],
      );
      expect(dup.rows[0].n).toBe(0);
    } finally {
      for (const ch of children.splice(0)) {
        ch.child.kill('SIGCONT'); // a stopped process would not act on SIGTERM
        await ch.kill();
      }
      await own.end();
      await ownDb.drop();
      await ingestDb.drop();
    }
  });

  it('behavior: etcd frozen until the lease is stale (not lapsed): every partition stops, then all run again and catch up; SIGTERM exits at once', async () => {
    const chainId = devnet.chainId;
    const prefix = uniquePrefix('flap');
    const group = `${prefix}_projector`;
    streams.push(streamName(prefix, chainId));
    const ingestDb = await createTestDatabase('proj_flap_ingest');
    const ownDb = await createTestDatabase('proj_flap');
    const own = new pg.Pool({ connectionString: ownDb.url, max: 2 });
    try {
      spawn('ingest/src/main.ts', ingestEnv(devnet, prefix, ingestDb.url));
      const h0 = await headNumber(devnet.rpcUrl);
      await waitForLedger(nc, prefix, chainId, h0);
      const e = spawn(
        'projector/src/main.ts',
        projectorEnv(chainId, prefix, ownDb.url, {
          CONTROL_PLANE: 'etcd',
          ETCD_URL: etcdMember.clientUrl,
          PROJECTOR_ASSIGNMENT: 'etcd',
          MODULE_ID: 'proj-e',
          MODULE_LEASE_TTL_S: '3',
          PROJECTOR_BATCH_ENTRIES: '100',
        }),
      );
      await waitFor(async () => (await readClaims(etcd, chainId, group)).size === 5, {
        timeoutMs: 60_000,
        what: 'proj-e to claim every partition',
      });
      await waitForCheckpoints(own, chainId, h0, deathOf({ e }));
      // New blocks while etcd is frozen: runners are mid-batch, loading or resetting their consumers.
      const live = runWorkload(devnet, {
        seed: SEED + 4,
        transactions: 600,
        txPerBlock: 5,
        continueFrom: true,
      });
      await e.waitForLine(/"msg":"partition starting after its checkpoint"/, 30_000);
      const freezeAt = Date.now();
      etcdMember.pause();
      try {
        // Stale after TTL/2 (1.5 s) without an answered keep-alive; etcd keeps the lease for TTL (3 s).
        await e.waitForLine(/projector lease stale/, 10_000);
      } finally {
        etcdMember.resume();
      }
      const resumeAt = Date.now();
      await e.waitForLine(/projector lease fresh again/, 10_000);
      const freshAt = lineTime(e, 'projector lease fresh again', freezeAt)!;
      expect(lineTime(e, 'projector lease lost', freezeAt)).toBeUndefined(); // stale, never lapsed
      // Every partition runs again after the lease is fresh (before the fix: a runner stopped while it
      // loaded ran on deaf to its stop, and the reconcile waiting for it never ended).
      await waitFor(
        () => ALL.every((p) => lineTime(e, 'partition runner started', freshAt, p) !== undefined),
        {
          timeoutMs: 30_000,
          what: `every partition to run again after the lease was fresh (${e.output().slice(-2000)})`,
        },
      );
      const stopped = logLines(e.output()).filter(
        (l) => l.msg === 'partition runner stopped' && l.time >= freezeAt && l.time <= freshAt + 1_000,
      );
      expect(new Set(stopped.map((l) => l.partition))).toEqual(new Set(ALL));
      expect(claimCounts(await readClaims(etcd, chainId, group))).toEqual({ 'proj-e': 5 });
      await live;
      const h1 = await headNumber(devnet.rpcUrl);
      await waitForLedger(nc, prefix, chainId, h1);
      await waitForCheckpoints(own, chainId, h1, deathOf({ e }));
      await expectEqualsChain(devnet, own, h1, { orMorePools: true });
      const termAt = Date.now();
      await e.kill('SIGTERM');
      const exitMs = Date.now() - termAt;
      console.log(
        `etcd frozen ${resumeAt - freezeAt} ms: all 5 partitions stopped and ran again ` +
          `${Math.max(...ALL.map((p) => lineTime(e, 'partition runner started', freshAt, p)!)) - freshAt} ms after ` +
          `the lease was fresh; SIGTERM exit in ${exitMs} ms`,
      );
      expect(e.child.signalCode === null ? e.child.exitCode : e.child.signalCode).toBe(0);
      expect(exitMs).toBeLessThan(5_000);
      expect((await readClaims(etcd, chainId, group)).size).toBe(0);
    } finally {
      etcdMember.resume();
      for (const ch of children.splice(0)) await ch.kill();
      await own.end();
      await ownDb.drop();
      await ingestDb.drop();
    }
  });
});
