/**
 * `npm run bench:ingest`: logs/s from the RPC into the JetStream ledger, against the raw eth_getLogs
 * rate of the same anvil in the same run; then the ingest process's peak RSS for two history lengths
 * (`rss.bench.ts`; BENCH_RSS=0 skips it). Last line:
 * {"ledgerLogsPerSec","rawGetLogsPerSec","ratio","ingestPeakRssMB":{"long","short"}}.
 *
 * Workload: a cached devnet state (built once, ~1 min, reused afterwards) with ≥ 50,000 ledger logs.
 */
import { writeFile } from 'node:fs/promises';
import inspector from 'node:inspector';
import { jetstreamManager } from '@nats-io/jetstream';
import { cachedState, createJsonRpc, findFreePort, startDevnet } from '@tickstream/deploy/devnet';
import { createTestDatabase } from '@tickstream/deploy/local';
import { createLogger, loadConfig, streamName } from '@tickstream/shared';
import pg from 'pg';
import { backfill } from '../src/backfill';
import { connectLedger, ensureStream } from '../src/publish';
import { createRpcClient } from '../src/rpc';
import { resume, routeContextOf } from '../src/service';
import { followedAddresses, rawGetLogs } from './peer';
import { benchIngestRss } from './rss.bench';

const SEED = Number(process.env.BENCH_SEED ?? 7);
const TRANSACTIONS = Number(process.env.BENCH_TRANSACTIONS ?? 36_000);
const RANGE = Number(process.env.BENCH_RANGE ?? 25);
const log = createLogger('bench-ingest', process.env.LOG_LEVEL ?? 'warn');

/** BENCH_PROFILE=file.cpuprofile: a CPU profile of the timed section only. */
async function startProfile() {
  const session = new inspector.Session();
  session.connect();
  const post = (method: string) =>
    new Promise<unknown>((resolve, reject) =>
      session.post(method, (err, res) => (err ? reject(err) : resolve(res))),
    );
  await post('Profiler.enable');
  await post('Profiler.start');
  return {
    async stop(path: string) {
      const { profile } = (await post('Profiler.stop')) as { profile: unknown };
      await writeFile(path, JSON.stringify(profile));
      session.disconnect();
    },
  };
}

const state = await cachedState({ seed: SEED, transactions: TRANSACTIONS, txPerBlock: 100 });
const devnet = await startDevnet({ port: await findFreePort(), loadState: state.path });
const db = await createTestDatabase('bench_ingest');
const nc = await connectLedger(process.env.NATS_URL ?? 'nats://127.0.0.1:4222', 'bench-ingest');
const prefix = `BENCH${Date.now()}`;
let result: Record<string, unknown> = {};
try {
  const { factory, positionManager, deployBlock } = devnet.addresses;
  const from = Number(deployBlock);
  const rpc = createJsonRpc(devnet.rpcUrl);
  const head = Number.parseInt(await rpc.request<string>('eth_blockNumber'), 16);
  const addresses = await followedAddresses(rpc, devnet.addresses, from, head);
  const pools = addresses.slice(2);

  // The peer: raw eth_getLogs over the same ranges, parsed, nothing else.
  const blocksWithLogs = new Set<string>();
  const raw = await rawGetLogs<{ blockNumber: string }>(rpc, addresses, from, head, RANGE, (logs) => {
    for (const l of logs) blocksWithLogs.add(l.blockNumber);
  });
  const rawLogs = raw.logs;
  const rawSecs = raw.seconds;

  // Ours: RPC → checked logs → routed entries → JetStream, acknowledged.
  const cfg = loadConfig('ingest', {
    RPC_URL: devnet.rpcUrl,
    FACTORY_ADDRESS: factory,
    POSITION_MANAGER_ADDRESS: positionManager,
    START_BLOCK: String(from),
    DATABASE_URL: db.url,
    LEDGER_STREAM_PREFIX: prefix,
    BACKFILL_RANGE: String(RANGE),
    LOG_LEVEL: 'warn',
  });
  const pool = new pg.Pool({ connectionString: db.url, max: 4 });
  const jsm = await jetstreamManager(nc);
  const target = { prefix, chainId: cfg.CHAIN_ID };
  await ensureStream(jsm, target);
  const deps = {
    client: createRpcClient({ url: cfg.RPC_URL, timeoutMs: 60_000 }),
    pg: pool,
    nc,
    jsm,
    log,
    cfg,
    route: routeContextOf(cfg),
    target,
  };
  const ingestState = await resume(deps);
  const profiler = process.env.BENCH_PROFILE === undefined ? null : await startProfile();
  const start = performance.now();
  const cpuStart = process.cpuUsage();
  await backfill(deps, ingestState, from, head, new AbortController().signal);
  const secs = (performance.now() - start) / 1000;
  const cpu = process.cpuUsage(cpuStart);
  await profiler?.stop(process.env.BENCH_PROFILE!);
  const info = await jsm.streams.info(streamName(prefix, cfg.CHAIN_ID));
  const seals = info.state.messages - rawLogs;
  // Every log once, and a seal per partition (and tokens) of every block with logs: nothing lost.
  if (seals !== blocksWithLogs.size * (cfg.PARTITIONS + 1)) {
    throw new Error(
      `the ledger has ${info.state.messages} entries, not ${rawLogs} logs + ${blocksWithLogs.size * (cfg.PARTITIONS + 1)} seals`,
    );
  }
  await pool.end();
  await jsm.streams.delete(streamName(prefix, cfg.CHAIN_ID));

  const ledgerLogsPerSec = Math.round(rawLogs / secs);
  const rawGetLogsPerSec = Math.round(rawLogs / rawSecs);
  const ratio = Math.round((100 * ledgerLogsPerSec) / rawGetLogsPerSec) / 100;
  console.log(`blocks ${from}..${head}, ${pools.length} pools, ranges of ${RANGE} blocks`);
  console.log(`raw eth_getLogs:  ${rawLogs} logs in ${rawSecs.toFixed(2)} s = ${rawGetLogsPerSec} logs/s`);
  console.log(
    `ledger append:    ${rawLogs} logs (+${seals} seals) in ${secs.toFixed(2)} s = ${ledgerLogsPerSec} logs/s`,
  );
  console.log(
    `ingest CPU:       ${((cpu.user + cpu.system) / 1000).toFixed(0)} ms = ${((cpu.user + cpu.system) / rawLogs).toFixed(1)} µs/log (user ${(cpu.user / 1000).toFixed(0)} ms, system ${(cpu.system / 1000).toFixed(0)} ms)`,
  );
  console.log(`ratio ledger/raw: ${ratio} (target ≥ 0.5)`);
  if (rawLogs < 50_000) console.log(`warning: only ${rawLogs} logs (< 50,000); raise BENCH_TRANSACTIONS`);
  result = { ledgerLogsPerSec, rawGetLogsPerSec, ratio };
} finally {
  await nc.close();
  await devnet.stop();
  await db.drop();
}
if (process.env.BENCH_RSS !== '0') result.ingestPeakRssMB = await benchIngestRss();
console.log(JSON.stringify(result));
