/**
 * `npm start`: the whole pipeline on a local devnet, for a newcomer to look at.
 *
 * anvil with real Uniswap V3 contracts and a seeded history → ingest → JetStream ledger → projector →
 * Postgres/Redis → REST api, with live traffic continuing at a steady rate, and three coordinators on
 * etcd (leader election, reorg protocol) that the modules register with. Each run starts from a
 * fresh devnet, so it resets its own database (`tickstream_devnet`) and ledger stream (`DEVNET_31337`).
 * Ctrl-C stops everything it started.
 */
import { runWorkload, runWorkloadForever, startDevnet } from '@tickstream/deploy/devnet';
import pg from 'pg';
import { startService } from './run/service';
import { getJson, isPortOpen, type ServerProcess } from './services/index';
import { ensureLocalStack } from './stack';

const SEED = Number(process.env.DEVNET_SEED ?? 1);
const RPC_PORT = Number(process.env.DEVNET_PORT ?? 8545);
const API_PORT = Number(process.env.API_PORT ?? 8080);
const HISTORY_TX = Number(process.env.DEVNET_HISTORY_TX ?? 1_500);
const LIVE_TPS = Number(process.env.DEVNET_TX_PER_SECOND ?? 4);
const PROJECTORS = Number(process.env.DEVNET_PROJECTORS ?? 2);
const DB_NAME = 'tickstream_devnet';
const PREFIX = 'DEVNET';
const say = (line: string) => console.log(line);

async function resetDatabase(adminUrl: string): Promise<string> {
  const admin = new pg.Client({ connectionString: adminUrl });
  await admin.connect();
  await admin.query(`DROP DATABASE IF EXISTS ${DB_NAME} WITH (FORCE)`);
  await admin.query(`CREATE DATABASE ${DB_NAME}`);
  await admin.end();
  const url = new URL(adminUrl);
  url.pathname = `/${DB_NAME}`;
  return url.toString();
}

async function resetStream(natsUrl: string): Promise<void> {
  const { connect } = await import('@nats-io/transport-node');
  const { jetstreamManager } = await import('@nats-io/jetstream');
  const nc = await connect({ servers: natsUrl });
  const jsm = await jetstreamManager(nc);
  await jsm.streams.delete(`${PREFIX}_31337`).catch(() => false);
  await nc.close();
}

/** Each run is a new chain: the previous run's published head and pools must go. */
async function resetRedis(redisUrl: string, chainId: number): Promise<void> {
  const { Redis } = await import('ioredis');
  const redis = new Redis(redisUrl);
  const keys = await redis.keys(`ts:${chainId}:*`);
  if (keys.length > 0) await redis.del(...keys);
  await redis.quit();
}

async function main(): Promise<void> {
  for (const [what, port] of [
    ['DEVNET_PORT', RPC_PORT],
    ['API_PORT', API_PORT],
  ] as const) {
    if (await isPortOpen(port))
      throw new Error(`${what}: port ${port} is taken; stop what uses it or set ${what}`);
  }
  const stack = await ensureLocalStack({ log: say });
  const services: ServerProcess[] = [];
  const live = new AbortController();
  let devnet: Awaited<ReturnType<typeof startDevnet>> | undefined;
  let stopping: Promise<void> | undefined;
  const stop = () => {
    stopping ??= (async () => {
      say('\nstopping…');
      live.abort();
      // Front to back would let ingest append while the projector stops: stop readers first, all at once.
      await Promise.all(services.map((s) => s.stop({ timeoutMs: 5_000 }).catch(() => {})));
      await devnet?.stop().catch(() => {});
      await stack.stop();
      say('stopped');
    })();
    return stopping;
  };
  process.once('SIGINT', () => void stop().then(() => process.exit(0)));
  process.once('SIGTERM', () => void stop().then(() => process.exit(0)));
  try {
    say(`devnet: starting anvil on 127.0.0.1:${RPC_PORT} and deploying Uniswap V3…`);
    devnet = await startDevnet({ port: RPC_PORT });
    say(`devnet: seeding ${HISTORY_TX} transactions of history (seed ${SEED})…`);
    const history = await runWorkload(devnet, { seed: SEED, transactions: HISTORY_TX, txPerBlock: 10 });
    say(`devnet: ${history.blocks} blocks, ${history.poolLogs} pool logs`);

    const databaseUrl = await resetDatabase(stack.env.DATABASE_URL.replace(/\/[^/]*$/, '/postgres'));
    await resetStream(stack.env.NATS_URL);
    await resetRedis(stack.env.REDIS_URL, devnet.chainId);
    const env: Record<string, string> = {
      ...stack.env,
      DATABASE_URL: databaseUrl,
      CHAIN_ID: String(devnet.chainId),
      RPC_URL: devnet.rpcUrl,
      RPC_WS_URL: devnet.wsUrl,
      FACTORY_ADDRESS: devnet.addresses.factory,
      POSITION_MANAGER_ADDRESS: devnet.addresses.positionManager,
      START_BLOCK: String(devnet.addresses.deployBlock),
      LEDGER_STREAM_PREFIX: PREFIX,
      FINALITY_DEPTH: process.env.FINALITY_DEPTH ?? '12',
      API_PORT: String(API_PORT),
      LOG_LEVEL: process.env.LOG_LEVEL ?? 'info',
    };
    for (const id of ['c1', 'c2', 'c3']) {
      services.push(
        await startService({
          name: `coordinator-${id}`,
          entry: 'coordinator/src/main.ts',
          env: { ...env, COORDINATOR_ID: id },
        }),
      );
    }
    services.push(await startService({ name: 'ingest', entry: 'ingest/src/main.ts', env }));
    // Projector processes share the partitions through etcd leases (PROJECTOR_ASSIGNMENT=auto → etcd).
    for (let i = 1; i <= PROJECTORS; i++) {
      services.push(
        await startService({
          name: `projector-${i}`,
          entry: 'projector/src/main.ts',
          env: { ...env, MODULE_ID: `projector-${i}` },
        }),
      );
    }
    const apiUrl = `http://127.0.0.1:${API_PORT}`;
    services.push(
      await startService({
        name: 'api',
        entry: 'api/src/main.ts',
        env,
        isReady: async () => (await getJson(`${apiUrl}/health`)).status === 200,
        readyWhat: `${apiUrl}/health answers`,
      }),
    );
    void runWorkloadForever(devnet, { seed: SEED + 1, txPerSecond: LIVE_TPS, signal: live.signal }).catch(
      (err) => {
        if (!live.signal.aborted) say(`devnet: live traffic stopped: ${(err as Error).message}`);
      },
    );

    say('');
    say('Tickstream is running on a local Uniswap V3 devnet.');
    say(`  REST API     ${apiUrl}/v1/pools`);
    say(`  one pool     ${apiUrl}/v1/pools/<address>   (ticks, positions, events below it)`);
    say(`  OpenAPI      ${apiUrl}/v1/openapi.json`);
    say(`  readiness    ${apiUrl}/ready`);
    say(`  chain RPC    ${devnet.rpcUrl}  (chain id ${devnet.chainId}, WebSocket ${devnet.wsUrl})`);
    say(`  factory      ${devnet.addresses.factory}`);
    say(`  operators    npx tickstream status   (leader, reorg phase, modules; --json)`);
    say(`  projectors   ${PROJECTORS} processes sharing the partitions: npx tickstream modules`);
    say(`  more         npx tickstream watch add <pool> | rebuild | rollback --to N | pause | resume`);
    say(`  logs         .data/run/{ingest,projector-1..${PROJECTORS},api,coordinator-c1..c3}/server.log`);
    say(`  live traffic ${LIVE_TPS} tx/s`);
    say('Ctrl-C stops everything.\n');

    for (;;) {
      await new Promise((r) => setTimeout(r, 10_000));
      if (stopping) return;
      const ready = await getJson(`${apiUrl}/ready`).catch(() => ({ status: 0, body: null }));
      const body = ready.body as { head?: { number: number }; partitions?: { lag: number }[] } | null;
      const lag = Math.max(0, ...(body?.partitions ?? []).map((p) => p.lag));
      say(
        `${new Date().toISOString()}  head ${body?.head?.number ?? '?'}  projection lag ${lag} blocks  ${ready.status === 200 ? 'ready' : 'catching up'}`,
      );
    }
  } catch (err) {
    console.error(`npm start failed: ${(err as Error).message}`);
    await stop();
    process.exit(1);
  }
}

await main();
