import { join } from 'node:path';
import { TickstreamError } from '@tickstream/shared/errors';
import {
  assertPortsFree,
  DATA_ROOT,
  envWithout,
  findBinary,
  resetDir,
  ServerProcess,
  type StopOptions,
} from './process';
import { freePorts, getJson } from './wait';

/** One member of the initial cluster. */
export interface EtcdPeer {
  readonly name: string;
  readonly peerPort: number;
}

export interface StartEtcdOptions {
  /** Member name (`--name`); also names the default data directory. */
  readonly name: string;
  readonly clientPort: number;
  readonly peerPort: number;
  /** The member's directory (default `<repo>/.data/<name>-<clientPort>`): etcd data in `etcd/`, output in `server.log`. */
  readonly dataDir?: string;
  /** Every member of the initial cluster, this one included (added when missing). Default: this one alone. */
  readonly cluster?: readonly EtcdPeer[];
  /** `--initial-cluster-token` (default derived from the members' names and ports). */
  readonly clusterToken?: string;
  /** Keep the data of an earlier run (default false: start from an emptied directory, which `stop()` removes). */
  readonly keepData?: boolean;
  /** Wait until `/health` says true (default true). A cluster member only gets healthy once a quorum runs. */
  readonly wait?: boolean;
  readonly startTimeoutMs?: number;
  /** Path of the etcd binary (default: `ETCD_BIN` or `etcd` on PATH). */
  readonly bin?: string;
  /** See `ServerSpec.ownProcessGroup`. */
  readonly ownProcessGroup?: boolean;
  /** More flags, e.g. `['--election-timeout', '500']`. */
  readonly extraArgs?: readonly string[];
}

/** A running etcd member. */
export class EtcdMember extends ServerProcess {
  readonly name: string;
  readonly clientPort: number;
  readonly peerPort: number;
  /** `http://127.0.0.1:<clientPort>`: give it to `new Etcd3({ hosts })`. */
  readonly clientUrl: string;
  readonly peerUrl: string;

  constructor(opts: StartEtcdOptions, dir: string, args: readonly string[], bin: string) {
    const clientUrl = `http://127.0.0.1:${opts.clientPort}`;
    super({
      label: `etcd member ${opts.name}`,
      bin,
      args,
      dir,
      env: envWithout('ETCD_'),
      isReady: () => isEtcdHealthy(clientUrl),
      readyWhat: `healthy on ${clientUrl}/health`,
      startTimeoutMs: opts.startTimeoutMs ?? 30_000,
      ...(opts.ownProcessGroup === undefined ? {} : { ownProcessGroup: opts.ownProcessGroup }),
      ephemeral: opts.keepData !== true,
    });
    this.name = opts.name;
    this.clientPort = opts.clientPort;
    this.peerPort = opts.peerPort;
    this.clientUrl = clientUrl;
    this.peerUrl = `http://127.0.0.1:${opts.peerPort}`;
  }
}

/**
 * True when the etcd member at `clientUrl` answers `GET /health` with `{"health":"true"}` (it has a
 * leader and can serve). False when it answers otherwise or not at all within `timeoutMs`.
 *
 * @example
 * await isEtcdHealthy('http://127.0.0.1:2379'); // true
 */
export async function isEtcdHealthy(clientUrl: string, timeoutMs = 1_000): Promise<boolean> {
  try {
    const { body } = await getJson(`${clientUrl}/health`, timeoutMs);
    return typeof body === 'object' && body !== null && (body as { health?: unknown }).health === 'true';
  } catch {
    return false;
  }
}

/**
 * Starts one etcd 3.4 member on loopback, alone or as part of an initial cluster, and (by default) waits
 * until it is healthy.
 *
 * @example
 * const etcd = await startEtcd({ name: 'solo', clientPort: await freePort(), peerPort: await freePort() });
 * const client = new Etcd3({ hosts: etcd.clientUrl });
 * await etcd.stop();
 */
export async function startEtcd(opts: StartEtcdOptions): Promise<EtcdMember> {
  const member = await prepareEtcd(opts);
  if (opts.wait === false) member.spawn();
  else await member.start();
  return member;
}

async function prepareEtcd(opts: StartEtcdOptions): Promise<EtcdMember> {
  const bin = findBinary('etcd', opts.bin ?? process.env.ETCD_BIN, 'etcd-server');
  const peers = [...(opts.cluster ?? [])];
  const self = peers.find((p) => p.name === opts.name);
  if (self === undefined) peers.push({ name: opts.name, peerPort: opts.peerPort });
  else if (self.peerPort !== opts.peerPort) {
    throw new TickstreamError(
      'STACK_ERROR',
      `etcd member ${opts.name}: peerPort ${opts.peerPort} differs from its entry in cluster (${self.peerPort})`,
    );
  }
  const dir = opts.dataDir ?? join(DATA_ROOT, `${opts.name}-${opts.clientPort}`);
  await assertPortsFree(`etcd member ${opts.name}`, [opts.clientPort, opts.peerPort]);
  if (opts.keepData !== true) resetDir(dir);
  const client = `http://127.0.0.1:${opts.clientPort}`;
  const peer = `http://127.0.0.1:${opts.peerPort}`;
  const token = opts.clusterToken ?? `tickstream-${peers.map((p) => `${p.name}-${p.peerPort}`).join('-')}`;
  const args = [
    '--name',
    opts.name,
    '--data-dir',
    join(dir, 'etcd'),
    '--listen-client-urls',
    client,
    '--advertise-client-urls',
    client,
    '--listen-peer-urls',
    peer,
    '--initial-advertise-peer-urls',
    peer,
    '--initial-cluster',
    peers.map((p) => `${p.name}=http://127.0.0.1:${p.peerPort}`).join(','),
    '--initial-cluster-state',
    'new',
    '--initial-cluster-token',
    token,
    '--logger',
    'zap',
    '--log-outputs',
    'stderr',
    // Heartbeats write every second or so: keep one hour of history, not all of it.
    '--auto-compaction-mode=periodic',
    '--auto-compaction-retention=1h',
    ...(opts.extraArgs ?? []),
  ];
  return new EtcdMember(opts, dir, args, bin);
}

export interface StartEtcdClusterOptions {
  /** Member i gets client port `basePort + 2i` and peer port `basePort + 2i + 1`. Default: free ports. */
  readonly basePort?: number;
  /** Number of members (default 3). */
  readonly size?: number;
  /** Member names are `<namePrefix><i>` (default `etcd`), data in `<repo>/.data/<name>-<clientPort>`. */
  readonly namePrefix?: string;
  readonly startTimeoutMs?: number;
  readonly extraArgs?: readonly string[];
}

/** A running etcd cluster on loopback. */
export interface EtcdCluster {
  readonly members: readonly EtcdMember[];
  /** Client URLs of all members, for `new Etcd3({ hosts })`. */
  readonly clientUrls: readonly string[];
  /**
   * Tears the cluster down: SIGKILL to every member, then removes their data (unless `removeData: false`).
   * Not SIGTERM: a leader that is asked to stop hands leadership over first, and when its peers have just
   * stopped it can pick one that is already gone and wait ~7 s for nothing. etcd fsyncs its WAL before
   * it acknowledges a write, so SIGKILL loses nothing acknowledged. Stop one member gracefully with
   * `members[i].stop()`.
   */
  stop(opts?: Pick<StopOptions, 'removeData'>): Promise<void>;
}

/**
 * Starts an etcd cluster of `size` members on loopback (all at once, since none is healthy before a
 * quorum runs) and waits until every member is healthy. Data starts empty.
 *
 * @example
 * const cluster = await startEtcdCluster({ size: 3 });
 * const client = new Etcd3({ hosts: [...cluster.clientUrls] });
 * await cluster.members[0]!.kill9();
 * await cluster.stop();
 */
export async function startEtcdCluster(opts: StartEtcdClusterOptions = {}): Promise<EtcdCluster> {
  const size = opts.size ?? 3;
  if (!Number.isInteger(size) || size < 1) {
    throw new TickstreamError('STACK_ERROR', `etcd cluster size must be a positive integer, got ${size}`);
  }
  const ports =
    opts.basePort === undefined
      ? await freePorts(2 * size)
      : Array.from({ length: 2 * size }, (_, i) => opts.basePort! + i);
  const prefix = opts.namePrefix ?? 'etcd';
  const specs = Array.from({ length: size }, (_, i) => ({
    name: `${prefix}${i}`,
    clientPort: ports[2 * i]!,
    peerPort: ports[2 * i + 1]!,
  }));
  const cluster = specs.map((s) => ({ name: s.name, peerPort: s.peerPort }));
  const members = await Promise.all(
    specs.map((s) =>
      prepareEtcd({
        ...s,
        cluster,
        ...(opts.startTimeoutMs === undefined ? {} : { startTimeoutMs: opts.startTimeoutMs }),
        ...(opts.extraArgs === undefined ? {} : { extraArgs: opts.extraArgs }),
      }),
    ),
  );
  const stop = async (stopOpts: Pick<StopOptions, 'removeData'> = {}) => {
    await Promise.all(members.map((m) => m.kill9()));
    await Promise.all(members.map((m) => m.stop(stopOpts)));
  };
  try {
    for (const m of members) m.spawn();
    await Promise.all(members.map((m) => m.waitReady()));
  } catch (err) {
    await stop();
    throw err;
  }
  return { members, clientUrls: members.map((m) => m.clientUrl), stop };
}
