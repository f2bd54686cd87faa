import { randomBytes } from 'node:crypto';
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { connectEtcd, type LiveModule, type Phase, type ReorgContext } from '@tickstream/coordinator';
import type { StatusView } from '@tickstream/coordinator/cli';
import {
  createJsonRpc,
  type JsonRpc,
  type RunningDevnet,
  runWorkload,
  startDevnet,
  type WorkloadStats,
} from '@tickstream/deploy/devnet';
import {
  createTestDatabase,
  DATA_ROOT,
  type EtcdMember,
  freePort,
  getJson,
  type ServerProcess,
  startEtcd,
  type TestDatabase,
  waitFor,
} from '@tickstream/deploy/local';
import { startService } from '@tickstream/deploy/run';
import { type Hex, streamName } from '@tickstream/shared';
import type { Etcd3 } from 'etcd3';
import { Redis } from 'ioredis';
import pg from 'pg';
import { type FaultProxy, startFaultProxy } from '../../../ingest/test/support/fault-proxy';
import { notCaughtUp } from './caught-up';
import { forget, killOnSignal } from './cleanup';
import {
  cliStatus,
  type LeaderInfo,
  readCurrent,
  readHalts,
  readLeader,
  readModules,
  readPhase,
  readReorgHistory,
  runTickstream,
} from './control';
import { type LogLine, lastLines, logLines } from './logs';

/** The services of a cluster, by role. */
export type CoordinatorName = 'c1' | 'c2' | 'c3';
export type PipelineName = 'ingest' | 'projector' | 'api';
export type ServiceName = CoordinatorName | PipelineName;

export const COORDINATORS: readonly CoordinatorName[] = ['c1', 'c2', 'c3'];
export const PIPELINE: readonly PipelineName[] = ['ingest', 'projector', 'api'];

export interface ClusterOptions {
  /** Names the database, the ledger stream and the services' log directories (`.data/run/chaos-<name>-<svc>`). */
  readonly name: string;
  /** Workload seed (default `TEST_SEED` or 4242); printed on failure. */
  readonly seed?: number;
  /** Transactions of seeded history before the pipeline starts (default 1,200). */
  readonly historyTx?: number;
  /** Default 20. */
  readonly txPerBlock?: number;
  /** `FINALITY_DEPTH` of the pipeline (default 16). */
  readonly finalityDepth?: number;
  /** `PARTITIONS` (default 4). */
  readonly partitions?: number;
  /** `COORDINATOR_LEASE_TTL_S` (default 2). */
  readonly coordinatorTtlS?: number;
  /** `MODULE_LEASE_TTL_S` (default 2). */
  readonly moduleTtlS?: number;
  /** Start the devnet from this anvil state (see `cachedState`) instead of deploying and seeding. */
  readonly loadState?: string;
  /** More settings for ingest, projector and api. */
  readonly env?: Readonly<Record<string, string>>;
  /** Per-service settings on top (e.g. `{ ingest: { BACKFILL_RANGE: '5000' } }`). */
  readonly serviceEnv?: Partial<Readonly<Record<PipelineName, Readonly<Record<string, string>>>>>;
  /** `LOG_LEVEL` of every service (default info: the coordinator's measurements are info lines). */
  readonly logLevel?: string;
  /** Put a fault proxy (`cluster.proxy`, pass-through until told otherwise) between ingest and the devnet. */
  readonly rpcProxy?: boolean;
}

/** A block's number and hash. */
export interface Head {
  readonly number: number;
  readonly hash: Hex;
}

/** A partition checkpoint as the projector stored it. */
export interface CheckpointRow {
  readonly partition: string;
  readonly streamSeq: number;
  readonly blockNumber: number;
  readonly blockHash: string;
}

/** The Redis database the chaos suite uses: its `ts:<chainId>:*` keys are cleared at each start. */
const REDIS_DB = 11;

/**
 * The whole system for one test file, on loopback: a devnet (anvil, Uniswap V3, a seeded workload), a
 * fresh database, a ledger stream of its own, one etcd, three coordinators (c1..c3) and ingest,
 * projector and api with the control plane on. Every service is a child process with its output in
 * `.data/run/chaos-<name>-<svc>/server.log`.
 *
 * @example
 * const cluster = await Cluster.start({ name: 'reorg', finalityDepth: 16 });
 * await cluster.waitCaughtUp();
 * const leader = await cluster.leader();
 * await cluster.kill9(cluster.coordinator(leader.id));
 * await cluster.stop();
 */
export class Cluster {
  readonly opts: ClusterOptions;
  readonly seed: number;
  readonly prefix: string;
  readonly services = new Map<ServiceName, ServerProcess>();
  devnet!: RunningDevnet;
  rpc!: JsonRpc;
  db!: TestDatabase;
  pg!: pg.Pool;
  etcdMember!: EtcdMember;
  etcd!: Etcd3;
  redis!: Redis;
  apiUrl = '';
  /** The fault proxy in front of the devnet for ingest (with `rpcProxy: true`). */
  proxy: FaultProxy | undefined;
  /** Stats of the seeded history (undefined when loaded from a state). */
  history: WorkloadStats | undefined;
  #env: Record<string, string> = {};
  #stopped = false;

  private constructor(opts: ClusterOptions) {
    this.opts = opts;
    this.seed = opts.seed ?? Number(process.env.TEST_SEED ?? 4242);
    this.prefix = `CHAOS${opts.name.toUpperCase().replace(/[^A-Z0-9]/g, '')}${randomBytes(3).toString('hex').toUpperCase()}`;
  }

  get chainId(): number {
    return this.devnet.chainId;
  }
  get finalityDepth(): number {
    return this.opts.finalityDepth ?? 16;
  }
  get partitions(): number {
    return this.opts.partitions ?? 4;
  }
  get coordinatorTtlS(): number {
    return this.opts.coordinatorTtlS ?? 2;
  }
  get moduleTtlS(): number {
    return this.opts.moduleTtlS ?? 2;
  }
  get etcdUrl(): string {
    return this.etcdMember.clientUrl;
  }
  /** The ledger stream's name. */
  get stream(): string {
    return streamName(this.prefix, this.chainId);
  }

  /** Starts everything (devnet and history first, then etcd, the coordinators with a leader, ingest, projector and api); `waitCaughtUp()` next. */
  static async start(opts: ClusterOptions): Promise<Cluster> {
    const c = new Cluster(opts);
    killOnSignal(c.services);
    try {
      await c.#start();
    } catch (err) {
      process.stderr.write(`${c.report(60)}\n`);
      await c.stop();
      throw err;
    }
    return c;
  }

  async #start(): Promise<void> {
    const { opts } = this;
    const port = await freePort();
    this.devnet =
      opts.loadState === undefined
        ? await startDevnet({ port, genesisTimestamp: 1_700_000_000 })
        : await startDevnet({ port, loadState: opts.loadState });
    this.rpc = createJsonRpc(this.devnet.rpcUrl);
    if (opts.rpcProxy === true) this.proxy = await startFaultProxy(this.devnet.rpcUrl);
    if (opts.loadState === undefined) {
      this.history = await runWorkload(this.devnet, {
        seed: this.seed,
        transactions: opts.historyTx ?? 1_200,
        txPerBlock: opts.txPerBlock ?? 20,
      });
    }
    this.db = await createTestDatabase(`chaos_${opts.name}`);
    this.pg = new pg.Pool({ connectionString: this.db.url, max: 4 });
    this.etcdMember = await startEtcd({
      name: `chaos-${opts.name}`,
      clientPort: await freePort(),
      peerPort: await freePort(),
    });
    this.etcd = connectEtcd(this.etcdMember.clientUrl);
    const redisUrl = new URL(process.env.REDIS_URL ?? 'redis://127.0.0.1:6379');
    redisUrl.pathname = `/${REDIS_DB}`;
    this.redis = new Redis(redisUrl.toString(), { lazyConnect: true, maxRetriesPerRequest: 1 });
    await this.redis.connect();
    await this.#clearRedis();
    const apiPort = await freePort();
    this.apiUrl = `http://127.0.0.1:${apiPort}`;
    this.#env = {
      CHAIN_ID: String(this.devnet.chainId),
      RPC_URL: this.proxy?.url ?? this.devnet.rpcUrl,
      FACTORY_ADDRESS: this.devnet.addresses.factory,
      POSITION_MANAGER_ADDRESS: this.devnet.addresses.positionManager,
      START_BLOCK: String(this.devnet.addresses.deployBlock),
      DATABASE_URL: this.db.url,
      REDIS_URL: redisUrl.toString(),
      LEDGER_STREAM_PREFIX: this.prefix,
      FINALITY_DEPTH: String(this.finalityDepth),
      PARTITIONS: String(this.partitions),
      BACKFILL_RANGE: '500',
      POLL_INTERVAL_MS: '100',
      API_PORT: String(apiPort),
      API_READY_MAX_LAG_BLOCKS: '0',
      CONTROL_PLANE: 'etcd',
      ETCD_URL: this.etcdMember.clientUrl,
      MODULE_LEASE_TTL_S: String(this.moduleTtlS),
      COORDINATOR_LEASE_TTL_S: String(this.coordinatorTtlS),
      LOG_LEVEL: opts.logLevel ?? 'info',
      ...opts.env,
    };
    await Promise.all(COORDINATORS.map((id) => this.startService(id)));
    await this.waitForLeader();
    for (const name of PIPELINE) await this.startService(name);
  }

  /** The environment a service is started with. */
  envOf(name: ServiceName): Record<string, string> {
    if (COORDINATORS.includes(name as CoordinatorName)) {
      return {
        ETCD_URL: this.#env.ETCD_URL!,
        CHAIN_ID: this.#env.CHAIN_ID!,
        LOG_LEVEL: this.#env.LOG_LEVEL!,
        COORDINATOR_ID: name,
        COORDINATOR_LEASE_TTL_S: String(this.coordinatorTtlS),
      };
    }
    return { ...this.#env, MODULE_ID: `${name}-0`, ...this.opts.serviceEnv?.[name as PipelineName] };
  }

  /** Log directory name of a service. */
  dirName(name: ServiceName): string {
    return `chaos-${this.opts.name}-${name}`;
  }

  /** Starts (or starts again after a kill) one service; its log starts empty on its first start. */
  async startService(name: ServiceName): Promise<ServerProcess> {
    const old = this.services.get(name);
    if (old?.running) throw new Error(`${name} is already running`);
    if (old === undefined)
      rmSync(join(DATA_ROOT, 'run', this.dirName(name)), { recursive: true, force: true });
    const isApi = name === 'api';
    const s = await startService({
      name: this.dirName(name),
      entry: COORDINATORS.includes(name as CoordinatorName)
        ? 'coordinator/src/main.ts'
        : `${name}/src/main.ts`,
      env: this.envOf(name),
      ...(isApi
        ? {
            isReady: async () => (await getJson(`${this.apiUrl}/health`)).status === 200,
            readyWhat: `answering ${this.apiUrl}/health`,
          }
        : {}),
    });
    this.services.set(name, s);
    return s;
  }

  /** The running process of a service. */
  service(name: ServiceName): ServerProcess {
    const s = this.services.get(name);
    if (s === undefined) throw new Error(`no service ${name}`);
    return s;
  }

  /** A coordinator by its COORDINATOR_ID. */
  coordinator(id: string): ServerProcess {
    if (!COORDINATORS.includes(id as CoordinatorName)) throw new Error(`no coordinator ${id}`);
    return this.service(id as CoordinatorName);
  }

  /** kill -9 a service; resolves once it has exited. */
  async kill9(name: ServiceName): Promise<void> {
    await this.service(name).kill9();
  }

  /** SIGSTOP a service (it keeps its sockets, answers nothing, and its leases run out). */
  pause(name: ServiceName): void {
    this.service(name).pause();
  }

  /** SIGCONT after `pause`. */
  resume(name: ServiceName): void {
    this.service(name).resume();
  }

  // ---- the chain --------------------------------------------------------------------------------

  /** The chain's head block. */
  async head(): Promise<Head> {
    const b = await this.rpc.request<{ number: Hex; hash: Hex }>('eth_getBlockByNumber', ['latest', false]);
    return { number: Number(b.number), hash: b.hash };
  }

  /** The hash of block `n` on the chain now. */
  async hashAt(n: number): Promise<Hex> {
    const b = await this.rpc.request<{ hash: Hex } | null>('eth_getBlockByNumber', [
      `0x${n.toString(16)}`,
      false,
    ]);
    if (b === null) throw new Error(`block ${n} is not on the chain`);
    return b.hash;
  }

  /** More seeded traffic (the node must be ours alone meanwhile). */
  workload(transactions: number, txPerBlock = 10, seed = this.seed + 1): Promise<WorkloadStats> {
    return runWorkload(this.devnet, { seed, transactions, txPerBlock });
  }

  // ---- the pipeline ------------------------------------------------------------------------------

  /** Every partition checkpoint, from Postgres. */
  async checkpoints(): Promise<CheckpointRow[]> {
    const r = await this.pg
      .query<{ partition: string; stream_seq: string; block_number: string; block_hash: string }>(
        'SELECT partition, stream_seq, block_number, block_hash FROM proj_checkpoints WHERE chain_id = $1 ORDER BY partition',
        [this.chainId],
      )
      .catch(() => ({ rows: [] }));
    return r.rows.map((row) => ({
      partition: row.partition,
      streamSeq: Number(row.stream_seq),
      blockNumber: Number(row.block_number),
      blockHash: row.block_hash,
    }));
  }

  /**
   * Waits until the pipeline reflects the chain's head: the api's `/ready` answers 200, every partition
   * (0..P-1 and tokens) is checkpointed at the head's number **and hash**, no reorg runs or waits, and
   * every registered module runs. Polls with a deadline; returns the head and how long it took. The
   * timeout error says what was still missing.
   */
  async waitCaughtUp(timeoutMs = 240_000): Promise<{ head: Head; ms: number }> {
    const t0 = performance.now();
    const head = await this.head();
    let last = '';
    try {
      await waitFor(
        async () => {
          last = (await notCaughtUp(this, head)) ?? '';
          return last === '';
        },
        { timeoutMs, what: `the pipeline at the chain head ${head.number}`, maxIntervalMs: 100 },
      );
    } catch (err) {
      throw new Error(`${(err as Error).message}; last seen: ${last}`);
    }
    return { head, ms: performance.now() - t0 };
  }

  // ---- the control plane ------------------------------------------------------------------------

  /** The leader (from the leader key), or null. */
  leader(): Promise<LeaderInfo | null> {
    return readLeader(this.etcd, this.chainId);
  }

  /** Waits for a leader whose token is above `afterToken` (default: any leader). */
  waitForLeader(afterToken = 0, timeoutMs = 30_000): Promise<LeaderInfo> {
    return waitFor(
      async () => {
        const l = await this.leader();
        return l !== null && l.token > afterToken ? l : undefined;
      },
      { timeoutMs, what: `a leader with a token above ${afterToken}`, intervalMs: 5, maxIntervalMs: 20 },
    );
  }

  /** The phase of the reorg in progress, or null. */
  currentPhase(): Promise<Phase | null> {
    return readPhase(this.etcd, this.chainId);
  }

  /** The reorg in progress, or null. */
  currentReorg(): Promise<ReorgContext | null> {
    return readCurrent(this.etcd, this.chainId);
  }

  /** Finished reorgs, oldest first. */
  reorgHistory(): Promise<ReorgContext[]> {
    return readReorgHistory(this.etcd, this.chainId);
  }

  /** Registered modules. */
  modules(): Promise<LiveModule[]> {
    return readModules(this.etcd, this.chainId);
  }

  halts() {
    return readHalts(this.etcd, this.chainId);
  }

  /** `tickstream status --json`, through the CLI. */
  status(): Promise<StatusView> {
    return cliStatus(this.etcdUrl, this.chainId);
  }

  /** Runs the `tickstream` CLI against this cluster. */
  cli(args: readonly string[], timeoutMs?: number) {
    return runTickstream(this.etcdUrl, this.chainId, args, timeoutMs);
  }

  /** Waits until the reorg in progress reaches `phase`; returns its context. */
  waitForPhase(phase: Phase, timeoutMs = 60_000): Promise<ReorgContext> {
    return waitFor(
      async () => {
        const c = await this.currentReorg();
        return c !== null && c.phase === phase ? c : undefined;
      },
      { timeoutMs, what: `a reorg in phase ${phase}`, intervalMs: 5, maxIntervalMs: 25 },
    );
  }

  /** Waits until `reorgId` is in history (DONE) and returns it. */
  waitForDone(reorgId: string, timeoutMs = 120_000): Promise<ReorgContext> {
    return waitFor(async () => (await this.reorgHistory()).find((c) => c.reorgId === reorgId), {
      timeoutMs,
      what: `reorg ${reorgId} DONE`,
      maxIntervalMs: 50,
    });
  }

  /** Waits until some reorg has started (current or queued report) and returns its id. */
  waitForReorgStart(notIn: ReadonlySet<string> = new Set(), timeoutMs = 60_000): Promise<string> {
    return waitFor(
      async () => {
        const c = await this.currentReorg();
        if (c !== null && !notIn.has(c.reorgId)) return c.reorgId;
        const done = (await this.reorgHistory()).find((h) => !notIn.has(h.reorgId));
        return done?.reorgId;
      },
      { timeoutMs, what: 'a reorg to start', intervalMs: 5, maxIntervalMs: 25 },
    );
  }

  // ---- logs ---------------------------------------------------------------------------------------

  /** Log lines of a service with message `msg`. */
  logs(name: ServiceName, msg: string | RegExp, where?: (l: LogLine) => boolean): LogLine[] {
    const s = this.services.get(name);
    return s === undefined ? [] : logLines(s.logFile, msg, where);
  }

  /** Log lines of every coordinator with message `msg`, tagged with the coordinator. */
  coordinatorLogs(msg: string | RegExp, where?: (l: LogLine) => boolean): (LogLine & { from: string })[] {
    return COORDINATORS.flatMap((id) => this.logs(id, msg, where).map((l) => ({ ...l, from: id })));
  }

  /** The last `n` lines of every service's log, and the seed: print it when a test fails. */
  report(n = 40): string {
    const parts = [`chaos cluster ${this.opts.name}: seed ${this.seed}, stream ${this.prefix}`];
    for (const [name, s] of this.services) {
      parts.push(`---- ${name} (${s.logFile}, ${s.running ? 'running' : 'exited'}) ----`);
      parts.push(lastLines(s.logFile, n));
    }
    return parts.join('\n');
  }

  /** Stops everything this cluster started (services first, SIGCONT to paused ones), drops the database. */
  async stop(): Promise<void> {
    if (this.#stopped) return;
    this.#stopped = true;
    forget(this.services);
    const pipeline = PIPELINE.map((n) => this.services.get(n)).filter((s) => s !== undefined);
    await Promise.all(pipeline.map((s) => s.stop({ timeoutMs: 5_000 }).catch(() => undefined)));
    const coords = COORDINATORS.map((n) => this.services.get(n)).filter((s) => s !== undefined);
    await Promise.all(coords.map((s) => s.stop({ timeoutMs: 5_000 }).catch(() => undefined)));
    this.etcd?.close();
    await this.etcdMember?.stop().catch(() => undefined);
    if (this.redis !== undefined) {
      await this.#clearRedis().catch(() => undefined);
      this.redis.disconnect();
    }
    await this.pg?.end().catch(() => undefined);
    await this.db?.drop().catch(() => undefined);
    await this.proxy?.stop().catch(() => undefined);
    await this.devnet?.stop().catch(() => undefined);
    await this.#deleteStream().catch(() => undefined);
  }

  async #clearRedis(): Promise<void> {
    const keys = await this.redis.keys(`ts:${this.devnet.chainId}:*`);
    if (keys.length > 0) await this.redis.del(...keys);
  }

  async #deleteStream(): Promise<void> {
    const { connect } = await import('@nats-io/transport-node');
    const { jetstreamManager } = await import('@nats-io/jetstream');
    const nc = await connect({ servers: process.env.NATS_URL ?? 'nats://127.0.0.1:4222' });
    try {
      const jsm = await jetstreamManager(nc);
      await jsm.streams.delete(this.stream);
    } finally {
      await nc.close();
    }
  }
}
