/**
 * `npm run bench:sync`: the whole sync path on a seeded devnet of ≥ 200,000 logs, each service as its
 * own process (its bundle, `spawnService`, as `npm start` runs them):
 *
 * 1. raw `eth_getLogs` of the same anvil over ranges of BENCH_RAW_RANGE blocks (the peer);
 * 2. end to end: ingest and BENCH_PROJECTORS projector processes (default 1; with more, static
 *    assignment: the partitions split into groups of about equal logs, counted from the peer's
 *    answers outside its timing) started together on a fresh stream and database, from the
 *    deploy block to the head: RPC → ledger (the ledger ends with the head's seals) and end to end
 *    (every partition's checkpoint at its last entry);
 * 3. ledger → projections: a second projector process, fresh database, over the complete ledger;
 * 4. rebuild: `projector/src/rebuild/main.ts` on the end-to-end database while its projector still
 *    runs (the swap matches the live checkpoints), then the rebuilt state is checked against the live
 *    one (row counts per table of the archived tables).
 *
 * Peak RSS of each process is its VmHWM (read from /proc before it exits). CPU per event is printed for
 * each process and, per phase, for the Postgres backends of its database and the NATS server
 * (`server-cpu.ts`): the share of the 2 cores each part takes, whatever else runs. Rates count log entries
 * (events). The devnet state is built once (seed BENCH_SEED, BENCH_TRANSACTIONS transactions; a few
 * minutes) and cached. Last line: one JSON object {rpcToLedgerEventsPerSec, ledgerToProjectionEventsPerSec,
 * endToEndEventsPerSec, rawGetLogsPerSec, rebuildEventsPerSec, peakRssMB: {ingest, projector,
 * projectorCatchUp, rebuild}}.
 */
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { jetstreamManager } from '@nats-io/jetstream';
import { connect } from '@nats-io/transport-node';
import { cachedState, createJsonRpc, findFreePort, startDevnet } from '@tickstream/deploy/devnet';
import { createTestDatabase, type TestDatabase, waitFor } from '@tickstream/deploy/local';
import {
  allPartitions,
  decodeEntry,
  partitionOfAddress,
  partitionSubject,
  streamName,
  TickstreamError,
} from '@tickstream/shared';
import { Redis } from 'ioredis';
import pg from 'pg';
import type { Hex } from 'viem';
import { followedAddresses, rawGetLogs } from '../../ingest/bench/peer';
import { type ServiceProcess, spawnService } from '../../ingest/test/support/process';
import { cpuSecs, ServerCpu } from './server-cpu';

const SEED = Number(process.env.BENCH_SEED ?? 7);
const TRANSACTIONS = Number(process.env.BENCH_TRANSACTIONS ?? 150_000);
const RAW_RANGE = Number(process.env.BENCH_RAW_RANGE ?? 25);
const PARTITIONS = Number(process.env.BENCH_PARTITIONS ?? 4);
const REDIS_URL = process.env.BENCH_REDIS_URL ?? 'redis://127.0.0.1:6379/12';
/**
 * Projector processes of the end-to-end phase (static assignment). Default 1: on this 2-core machine
 * and this ledger two were slower (11.7k against 13.0k events/s end to end): the partitions are uneven
 * (7 pools; the heaviest holds 36 % of the logs) and each process pays its own start and fixed costs.
 */
const PROJECTORS = Number(process.env.BENCH_PROJECTORS ?? 1);

/**
 * Partitions into `n` groups of about equal logs (heaviest first, each to the lightest group): the
 * static assignment an operator would give the end-to-end phase's projector processes.
 *
 * @example splitPartitions(new Map([['0', 90], ['1', 20], ['tokens', 70]]), 2) // [['0'], ['tokens', '1']]
 */
function splitPartitions(load: ReadonlyMap<string, number>, n: number): string[][] {
  const all = [...allPartitions(PARTITIONS)].map(String);
  const groups = Array.from({ length: Math.max(1, Math.min(n, all.length)) }, () => ({
    parts: [] as string[],
    logs: 0,
  }));
  for (const p of all.sort((a, b) => (load.get(b) ?? 0) - (load.get(a) ?? 0))) {
    const g = groups.reduce((lightest, x) => (x.logs < lightest.logs ? x : lightest));
    g.parts.push(p);
    g.logs += load.get(p) ?? 0;
  }
  return groups.map((g) => g.parts);
}

/** Peak RSS (VmHWM) of a live process, in MB; 0 once it is gone. */
function peakRss(pid: number | undefined): number {
  try {
    const m = /VmHWM:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return m === null ? 0 : Math.round(Number(m[1]) / 1024);
  } catch {
    return 0;
  }
}

/** Keeps the highest VmHWM seen of a process (sampled, and read once more before it is stopped). */
class RssWatch {
  peak = 0;
  cpu = 0;
  readonly #timer: NodeJS.Timeout;
  constructor(private readonly p: ServiceProcess) {
    this.#timer = setInterval(() => this.sample(), 250);
  }
  sample(): number {
    this.peak = Math.max(this.peak, peakRss(this.p.child.pid));
    this.cpu = Math.max(this.cpu, cpuSecs(this.p.child.pid));
    return this.peak;
  }
  async stop(): Promise<number> {
    this.sample();
    clearInterval(this.#timer);
    await this.p.kill();
    return this.peak;
  }
}

/** Throws (a TickstreamError: `waitFor` gives up at once on it) when the process has exited. */
function alive(p: ServiceProcess, name: string): void {
  if (p.child.exitCode !== null || p.child.signalCode !== null)
    throw new TickstreamError('STACK_ERROR', `${name} exited:\n${p.output().slice(-3000)}`);
}

const state = await cachedState({ seed: SEED, transactions: TRANSACTIONS, txPerBlock: 100 });
const devnet = await startDevnet({ port: await findFreePort(), loadState: state.path });
const nc = await connect({ servers: process.env.NATS_URL ?? 'nats://127.0.0.1:4222' });
const jsm = await jetstreamManager(nc);
const prefix = `SYNC${Date.now()}`;
const chainId = devnet.chainId;
const stream = streamName(prefix, chainId);
const dbs: TestDatabase[] = [];
const procs: ServiceProcess[] = [];
try {
  const { factory, positionManager, deployBlock } = devnet.addresses;
  const from = Number(deployBlock);
  const rpc = createJsonRpc(devnet.rpcUrl);
  const head = Number.parseInt(await rpc.request<string>('eth_blockNumber'), 16);

  // 1. The peer: raw eth_getLogs over the same blocks, parsed, nothing else.
  const addresses = await followedAddresses(rpc, devnet.addresses, from, head);
  const pools = addresses.slice(2);
  const { logs, seconds: rawSecs } = await rawGetLogs(rpc, addresses, from, head, RAW_RANGE);
  /** Logs per partition: how the end-to-end phase splits its projectors (when there are several). */
  const load = new Map<string, number>();
  if (PROJECTORS > 1) {
    // Counted outside the peer's timing: the peer does nothing but fetch and parse.
    await rawGetLogs<{ address: Hex }>(rpc, addresses, from, head, RAW_RANGE * 8, (got) => {
      for (const l of got) {
        const p =
          l.address.toLowerCase() === positionManager.toLowerCase()
            ? 'tokens'
            : String(partitionOfAddress(l.address, PARTITIONS));
        load.set(p, (load.get(p) ?? 0) + 1);
      }
    });
  }
  const split = splitPartitions(load, PROJECTORS);
  if (PROJECTORS > 1)
    console.log(
      `logs per partition: ${[...load].map(([p, n]) => `${p} ${n}`).join(', ')}; projectors: ${split.map((g) => g.join(',')).join(' | ')}`,
    );
  console.log(
    `devnet: blocks ${from}..${head}, ${pools.length} pools, ${logs} logs (${state.path.split('/').pop()})`,
  );
  console.log(
    `raw eth_getLogs (ranges of ${RAW_RANGE}): ${rawSecs.toFixed(2)} s = ${Math.round(logs / rawSecs)} logs/s`,
  );

  // 2. End to end: ingest and projector processes from the deploy block to the head.
  const db = await createTestDatabase('bench_sync');
  dbs.push(db);
  const common = {
    CHAIN_ID: String(chainId),
    LEDGER_STREAM_PREFIX: prefix,
    PARTITIONS: String(PARTITIONS),
    CONTROL_PLANE: 'none',
    REDIS_URL,
    LOG_LEVEL: 'warn',
  };
  const projectorEnv = (url: string, name: string) => ({
    ...common,
    DATABASE_URL: url,
    PROJECTOR_CONSUMER_NAME: name,
    PROJECTOR_ASSIGNMENT: 'static',
  });
  const e2eServers = await ServerCpu.start([db.name]);
  const start = performance.now();
  const ingest = spawnService('ingest/src/main.ts', {
    ...common,
    RPC_URL: devnet.rpcUrl,
    FACTORY_ADDRESS: factory,
    POSITION_MANAGER_ADDRESS: positionManager,
    START_BLOCK: String(from),
    DATABASE_URL: db.url,
  });
  const projectors = split.map((parts, i) =>
    spawnService('projector/src/main.ts', {
      ...projectorEnv(db.url, 'sync'),
      PROJECTOR_PARTITIONS: parts.join(','),
      MODULE_ID: `projector-${i + 1}`,
    }),
  );
  procs.push(ingest, ...projectors);
  const ingestRss = new RssWatch(ingest);
  const projectorRss = projectors.map((p) => new RssWatch(p));
  await waitFor(
    async () => {
      alive(ingest, 'ingest');
      for (const p of projectors) alive(p, 'projector');
      const info = await jsm.streams.info(stream).catch(() => undefined);
      if (info === undefined || info.state.last_seq === 0) return false;
      const m = await jsm.streams.getMessage(stream, { seq: info.state.last_seq });
      const e = m === null ? undefined : decodeEntry(m.data);
      return e?.kind === 'seal' && e.partition === 'tokens' && e.blockNumber >= head;
    },
    { timeoutMs: 1_800_000, what: `ingest to append block ${head}`, intervalMs: 20, maxIntervalMs: 100 },
  );
  const ledgerSecs = (performance.now() - start) / 1000;
  const lastSeq = new Map<string, number>();
  for (let p = 0; p <= PARTITIONS; p++) {
    const partition = p === PARTITIONS ? 'tokens' : p;
    const m = await jsm.streams.getMessage(stream, {
      last_by_subj: partitionSubject(prefix, chainId, partition),
    });
    lastSeq.set(String(partition), m?.seq ?? 0);
  }
  const caughtUp = (pool: pg.Pool) => async () => {
    const { rows } = await pool
      .query<{ partition: string; stream_seq: string }>('SELECT partition, stream_seq FROM proj_checkpoints')
      .catch(() => ({ rows: [] }));
    const at = new Map(rows.map((r) => [r.partition, Number(r.stream_seq)]));
    return [...lastSeq].every(([p, seq]) => (at.get(p) ?? 0) >= seq);
  };
  const pool = new pg.Pool({ connectionString: db.url, max: 2 });
  await waitFor(
    async () => {
      for (const p of projectors) alive(p, 'projector');
      return caughtUp(pool)();
    },
    { timeoutMs: 1_800_000, what: 'the projection to catch up', intervalMs: 20, maxIntervalMs: 50 },
  );
  const e2eSecs = (performance.now() - start) / 1000;
  const entries = (await jsm.streams.info(stream)).state.messages;
  const peakRssMB: Record<string, number> = { ingest: await ingestRss.stop() };
  const e2eServerCpu = await e2eServers.stop();
  const cpuUsPerEvent: Record<string, number> = {
    ingest: Math.round((1e6 * ingestRss.cpu) / logs),
    projector: Math.round((1e6 * projectors.reduce((t, p) => t + cpuSecs(p.child.pid), 0)) / logs),
    postgres: Math.round((1e6 * e2eServerCpu.postgresSec) / logs),
    nats: Math.round((1e6 * e2eServerCpu.natsSec) / logs),
  };
  console.log(
    `RPC → ledger (ingest process): ${logs} logs (${entries} entries) in ${ledgerSecs.toFixed(2)} s = ${Math.round(logs / ledgerSecs)} events/s`,
  );
  // Commits = checkpoint writes (stats are per database, flushed by the backends within ~0.5 s).
  await new Promise((resolve) => setTimeout(resolve, 700));
  const commits = Number(
    (
      await pool.query<{ n: string }>(
        `SELECT n_tup_upd + n_tup_ins AS n FROM pg_stat_user_tables WHERE relname = 'proj_checkpoints'`,
      )
    ).rows[0]?.n ?? 0,
  );
  console.log(
    `end to end (ingest + ${projectors.length} projector process${projectors.length === 1 ? '' : 'es'} [${split.map((g) => g.join(',')).join(' | ')}], block ${from} → projections at head ${head}): ${e2eSecs.toFixed(2)} s = ${Math.round(logs / e2eSecs)} events/s; ${commits} projector commits (${commits === 0 ? '?' : Math.round(entries / commits)} entries each)`,
  );

  // 3. Ledger → projections: a fresh projector process over the complete ledger.
  const db2 = await createTestDatabase('bench_sync_catchup');
  dbs.push(db2);
  const pool2 = new pg.Pool({ connectionString: db2.url, max: 2 });
  const catchServers = await ServerCpu.start([db2.name]);
  const catchStart = performance.now();
  const catchUp = spawnService('projector/src/main.ts', projectorEnv(db2.url, 'catchup'));
  procs.push(catchUp);
  const catchRss = new RssWatch(catchUp);
  await waitFor(
    async () => {
      alive(catchUp, 'projector (catch-up)');
      return caughtUp(pool2)();
    },
    { timeoutMs: 1_800_000, what: 'the catch-up projection', intervalMs: 20, maxIntervalMs: 50 },
  );
  const catchSecs = (performance.now() - catchStart) / 1000;
  peakRssMB.projectorCatchUp = await catchRss.stop();
  cpuUsPerEvent.projectorCatchUp = Math.round((1e6 * catchRss.cpu) / logs);
  const catchServerCpu = await catchServers.stop();
  cpuUsPerEvent.postgresCatchUp = Math.round((1e6 * catchServerCpu.postgresSec) / logs);
  cpuUsPerEvent.natsCatchUp = Math.round((1e6 * catchServerCpu.natsSec) / logs);
  await pool2.end();
  console.log(
    `ledger → projections (projector process, fresh database): ${catchSecs.toFixed(2)} s = ${Math.round(logs / catchSecs)} events/s`,
  );

  // 4. Rebuild on the end-to-end database, its projector still running.
  const rebuildServers = await ServerCpu.start([db.name]);
  const rebuild = spawn(process.execPath, ['--import', 'tsx', 'projector/src/rebuild/main.ts', '--json'], {
    env: { ...process.env, ...common, DATABASE_URL: db.url },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let rebuildOut = '';
  rebuild.stdout.on('data', (d: Buffer) => {
    rebuildOut += d.toString('utf8');
  });
  rebuild.stderr.on('data', (d: Buffer) => process.stderr.write(d));
  const exit = await new Promise<number | null>((resolve) => rebuild.once('exit', (code) => resolve(code)));
  if (exit !== 0) throw new Error(`rebuild failed (exit ${exit}):\n${rebuildOut.slice(-3000)}`);
  const json = rebuildOut
    .split('\n')
    .reverse()
    .find((l) => l.startsWith('{"projection"'));
  const rebuilt = JSON.parse(json ?? '{}') as {
    cpuSec: number;
    eventsPerSec: number;
    peakRssMB: number;
    seconds: number;
    events: number;
    phases: unknown;
    cpu?: { mainSec: number; workersSec: number[] };
  };
  const rebuildEventsPerSec = rebuilt.eventsPerSec;
  peakRssMB.rebuild = rebuilt.peakRssMB;
  cpuUsPerEvent.rebuild = Math.round((1e6 * rebuilt.cpuSec) / logs);
  const rebuildServerCpu = await rebuildServers.stop();
  cpuUsPerEvent.postgresRebuild = Math.round((1e6 * rebuildServerCpu.postgresSec) / logs);
  cpuUsPerEvent.natsRebuild = Math.round((1e6 * rebuildServerCpu.natsSec) / logs);
  console.log(
    `rebuild (process, live projector running): ${rebuilt.events} events in ${rebuilt.seconds?.toFixed(2)} s = ${rebuildEventsPerSec} events/s, phases ${JSON.stringify(rebuilt.phases)}, CPU µs/event: main thread ${Math.round((1e6 * (rebuilt.cpu?.mainSec ?? 0)) / logs)}, fold workers ${(rebuilt.cpu?.workersSec ?? []).map((s) => Math.round((1e6 * s) / logs)).join(' + ')}`,
  );
  const counts = await pool.query<{ t: string; live: string; old: string }>(
    `SELECT t, (xpath('/row/n/text()', query_to_xml(format('SELECT count(*) AS n FROM public.%I', t), false, true, '')))[1]::text AS live,
            (xpath('/row/n/text()', query_to_xml(format('SELECT count(*) AS n FROM tickstream_rebuild_old.%I', t), false, true, '')))[1]::text AS old
       FROM unnest(ARRAY['pools','pool_history','ticks','tick_history','positions','position_history','nft_positions','events']) AS t`,
  );
  const differ = counts.rows.filter((r) => r.live !== r.old);
  console.log(
    `rebuilt vs replaced row counts: ${differ.length === 0 ? 'equal' : `DIFFER ${JSON.stringify(differ)}`} (${counts.rows.map((r) => `${r.t} ${r.live}`).join(', ')})`,
  );
  for (const p of projectors) alive(p, 'projector (after the swap)');
  peakRssMB.projector = Math.max(...(await Promise.all(projectorRss.map((w) => w.stop()))));
  await pool.end();

  const result = {
    rpcToLedgerEventsPerSec: Math.round(logs / ledgerSecs),
    ledgerToProjectionEventsPerSec: Math.round(logs / catchSecs),
    endToEndEventsPerSec: Math.round(logs / e2eSecs),
    rawGetLogsPerSec: Math.round(logs / rawSecs),
    rebuildEventsPerSec,
    peakRssMB,
    cpuUsPerEvent,
  };
  console.log(
    `peak RSS (VmHWM, MB): ${Object.entries(peakRssMB)
      .map(([k, v]) => `${k} ${v}`)
      .join(', ')}; targets: end to end ≥ 20,000 events/s, ingest < 500 MB, rebuild ≥ 50,000 events/s`,
  );
  console.log(
    `CPU per event (µs, user + system of each process, and of the Postgres backends and NATS server of each phase): ${Object.entries(
      cpuUsPerEvent,
    )
      .map(([k, v]) => `${k} ${v}`)
      .join(', ')}; load average ${(await import('node:os'))
      .loadavg()
      .map((l) => l.toFixed(1))
      .join(' ')}`,
  );
  if (logs < 200_000) console.log(`warning: only ${logs} logs (< 200,000): raise BENCH_TRANSACTIONS`);
  console.log(JSON.stringify(result));
} finally {
  for (const p of procs) await p.kill().catch(() => undefined);
  await jsm.streams.delete(stream).catch(() => false);
  await nc.close();
  await devnet.stop();
  for (const d of dbs) await d.drop().catch(() => undefined);
  const redis = new Redis(REDIS_URL, { lazyConnect: true, enableOfflineQueue: false });
  await redis.connect().catch(() => undefined);
  const keys = await redis.keys(`ts:${chainId}:*`).catch(() => [] as string[]);
  if (keys.length > 0) await redis.del(...keys).catch(() => 0);
  redis.disconnect();
}
