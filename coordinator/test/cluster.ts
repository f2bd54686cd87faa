import { type EtcdMember, freePort, startEtcd, waitFor } from '@tickstream/deploy/local';
import type { Etcd3 } from 'etcd3';
import { reportReorg } from '../src/client';
import { connectEtcd } from '../src/connect';
import { keysFor, type ModuleKind, type ReorgContext } from '../src/layout';
import { listModules } from '../src/modules';
import { type Call, CoordinatorProcess, coordinatorEnv, FakeModule, type Gate, LeaderWatch } from './harness';

/** The steps of a full reorg, in the order the protocol runs them. */
export const ORDER = [
  'suspend ingest',
  'suspend projector',
  'suspend api',
  'rollback api',
  'rollback projector',
  'rollback ingest',
  'restore ingest',
  'restore projector',
  'restore api',
];

export const stepsOf = (ctx: ReorgContext) => ctx.steps.map((s) => `${s.step} ${s.kind}`);

export interface ClusterOptions {
  readonly name: string;
  readonly chainId: number;
  readonly ttlS: number;
  readonly coordinators: readonly string[];
  readonly modules: readonly (readonly [ModuleKind, string])[];
}

/** A single etcd, coordinator processes and in-process fake modules, for one test file. */
export class Cluster {
  readonly opts: ClusterOptions;
  readonly calls: Call[] = [];
  readonly keys;
  member!: EtcdMember;
  etcd!: Etcd3;
  leaders!: LeaderWatch;
  coordinators: CoordinatorProcess[] = [];
  modules: FakeModule[] = [];

  private constructor(opts: ClusterOptions) {
    this.opts = opts;
    this.keys = keysFor(opts.chainId);
  }

  static async start(opts: ClusterOptions): Promise<Cluster> {
    const c = new Cluster(opts);
    c.member = await startEtcd({ name: opts.name, clientPort: await freePort(), peerPort: await freePort() });
    c.etcd = connectEtcd(c.member.clientUrl);
    c.leaders = await LeaderWatch.start(c.etcd, opts.chainId);
    c.coordinators = opts.coordinators.map(
      (id) => new CoordinatorProcess(id, coordinatorEnv(c.member.clientUrl, opts.chainId, id, opts.ttlS)),
    );
    await waitFor(() => c.leaders.current, { timeoutMs: 30_000, what: 'a first leader' });
    c.modules = await Promise.all(
      opts.modules.map(([kind, id]) => FakeModule.start(c.etcd, opts.chainId, kind, id, c.calls)),
    );
    return c;
  }

  mod(name: string): FakeModule {
    const m = this.modules.find((x) => x.name === name);
    if (m === undefined) throw new Error(`no fake module ${name}`);
    return m;
  }

  /** The coordinator process that holds the leader key now. */
  leaderProcess(): CoordinatorProcess {
    const id = this.leaders.current?.id;
    const proc = this.coordinators.find((c) => c.id === id && c.running);
    if (proc === undefined) throw new Error(`no running coordinator is leader (${id})`);
    return proc;
  }

  report(reorgId: string, targetBlock = 100) {
    return reportReorg(this.etcd, {
      chainId: this.opts.chainId,
      reorgId,
      targetBlock,
      newHead: { number: targetBlock + 3, hash: `0x${reorgId}` },
    });
  }

  /** Resolves when no registered module is left suspended. */
  allRunning() {
    return waitFor(
      async () =>
        (await listModules(this.etcd, this.opts.chainId)).every((m) => m.status.state === 'running'),
      { timeoutMs: 10_000, what: 'every module running' },
    );
  }

  async stop(): Promise<void> {
    if (process.env.DEBUG_COORDINATOR_LOGS) {
      for (const c of this.coordinators) console.log(c.id, c.lines.map((l) => JSON.stringify(l)).join('\n'));
    }
    await Promise.all(this.coordinators.map((c) => c.kill('SIGTERM')));
    await Promise.all(this.modules.map((m) => m.handle.close()));
    await this.leaders?.stop();
    this.etcd?.close();
    await this.member?.stop();
  }
}

/** Resolves when a fake module's handler has entered the held step; rejects after 20 s. */
export async function reached(gate: Gate, what: string) {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`timed out waiting for ${what}`)), 20_000);
  });
  try {
    return await Promise.race([gate.reached, timeout]);
  } finally {
    clearTimeout(timer);
  }
}
