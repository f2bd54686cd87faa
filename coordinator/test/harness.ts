import { type ChildProcess, spawn } from 'node:child_process';
import { createInterface } from 'node:readline';
import { REPO_ROOT, waitFor } from '@tickstream/deploy/local';
import { serviceArgs } from '@tickstream/deploy/run';
import { createLogger } from '@tickstream/shared';
import type { Etcd3, Watcher } from 'etcd3';
import { type ModuleHandle, registerModule } from '../src/client';
import { readHistory } from '../src/context';
import {
  type Command,
  keysFor,
  leaderValueSchema,
  type ModuleKind,
  parseValue,
  type ReorgContext,
  type Step,
} from '../src/layout';

/** A JSON log line of a coordinator. */
export type LogLine = Record<string, unknown> & { msg?: string };

/** A coordinator process (`coordinator/src/main.ts`, bundled: `serviceArgs`) with its parsed log lines. */
export class CoordinatorProcess {
  readonly id: string;
  readonly lines: LogLine[] = [];
  child: ChildProcess;
  exited: Promise<number | null>;
  readonly #env: NodeJS.ProcessEnv;

  constructor(id: string, env: NodeJS.ProcessEnv) {
    this.id = id;
    this.#env = env;
    const { child, exited } = this.#spawn();
    this.child = child;
    this.exited = exited;
  }

  get pid(): number {
    return this.child.pid!;
  }

  get running(): boolean {
    return this.child.exitCode === null && this.child.signalCode === null;
  }

  #spawn() {
    const child = spawn(process.execPath, serviceArgs('coordinator/src/main.ts'), {
      cwd: REPO_ROOT,
      env: this.#env,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    createInterface({ input: child.stdout! }).on('line', (line) => {
      try {
        this.lines.push(JSON.parse(line) as LogLine);
      } catch {
        this.lines.push({ msg: line });
      }
    });
    createInterface({ input: child.stderr! }).on('line', (line) =>
      this.lines.push({ msg: `stderr: ${line}` }),
    );
    const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
    return { child, exited };
  }

  /** Starts it again with the same id and environment (after a kill). */
  respawn(): void {
    const { child, exited } = this.#spawn();
    this.child = child;
    this.exited = exited;
  }

  /** Log lines with message `msg` (optionally matching `where`). */
  logs(msg: string, where: (l: LogLine) => boolean = () => true): LogLine[] {
    return this.lines.filter((l) => l.msg === msg && where(l));
  }

  async waitForLog(
    msg: string,
    timeoutMs: number,
    where: (l: LogLine) => boolean = () => true,
  ): Promise<LogLine> {
    return waitFor(() => this.logs(msg, where)[0], {
      timeoutMs,
      what: `coordinator ${this.id} to log "${msg}"`,
    });
  }

  async kill(signal: NodeJS.Signals = 'SIGKILL'): Promise<void> {
    if (!this.running) return;
    this.child.kill('SIGCONT');
    this.child.kill(signal);
    await this.exited;
  }
}

/** Environment for a coordinator of `chainId` on `etcdUrl`, without inherited Tickstream settings. */
export function coordinatorEnv(
  etcdUrl: string,
  chainId: number,
  id: string,
  ttlS: number,
): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [k, v] of Object.entries(process.env)) {
    if (!/^(ETCD_|TICKSTREAM_|COORDINATOR_|CHAIN_ID$|LOG_LEVEL$)/.test(k)) env[k] = v;
  }
  return {
    ...env,
    ETCD_URL: etcdUrl,
    CHAIN_ID: String(chainId),
    COORDINATOR_ID: id,
    COORDINATOR_LEASE_TTL_S: String(ttlS),
    LOG_LEVEL: 'info',
  };
}

/** Records every change of the leader key, with the time the test saw it. */
export class LeaderWatch {
  readonly events: { token: number; id: string; at: number }[] = [];
  #watcher: Watcher | undefined;

  static async start(etcd: Etcd3, chainId: number): Promise<LeaderWatch> {
    const w = new LeaderWatch();
    const key = keysFor(chainId).leader;
    const res = await etcd.get(key).exec();
    const record = (value: string, createRevision: string) =>
      w.events.push({
        token: Number(createRevision),
        id: parseValue(leaderValueSchema, value)?.id ?? '?',
        at: Date.now(),
      });
    if (res.kvs[0]) record(res.kvs[0].value.toString(), res.kvs[0].create_revision);
    w.#watcher = await etcd
      .watch()
      .key(key)
      .startRevision(String(Number(res.header.revision) + 1))
      .create();
    w.#watcher.on('put', (kv) => record(kv.value.toString(), kv.create_revision));
    return w;
  }

  get current(): { token: number; id: string; at: number } | undefined {
    return this.events.at(-1);
  }

  /** The first leader elected with a token above `token`. */
  async after(token: number, timeoutMs: number): Promise<{ token: number; id: string; at: number }> {
    return waitFor(() => this.events.find((e) => e.token > token), {
      timeoutMs,
      what: `a leader after token ${token}`,
      maxIntervalMs: 20,
    });
  }

  async stop(): Promise<void> {
    await this.#watcher?.cancel();
  }
}

/** A gate that parks a fake module inside one step until released. */
export interface Gate {
  readonly reached: Promise<Command>;
  release(): void;
}

/** A handler call seen by a fake module, with a global sequence number. */
export interface Call {
  readonly seq: number;
  readonly module: string;
  readonly command: Command;
}

let seq = 0;

/** An in-process module on the real client library that records calls and can hold a step. */
export class FakeModule {
  readonly kind: ModuleKind;
  readonly id: string;
  readonly calls: Call[];
  handle!: ModuleHandle;
  readonly #gates = new Map<Step, { released: Promise<void>; hit: (c: Command) => void }>();

  constructor(kind: ModuleKind, id: string, calls: Call[]) {
    this.kind = kind;
    this.id = id;
    this.calls = calls;
  }

  static async start(
    etcd: Etcd3,
    chainId: number,
    kind: ModuleKind,
    id: string,
    calls: Call[],
  ): Promise<FakeModule> {
    const m = new FakeModule(kind, id, calls);
    m.handle = await registerModule(etcd, {
      chainId,
      kind,
      id,
      leaseTtlS: 3,
      onCommand: (c) => m.#run(c),
      log: silentLogger,
    });
    return m;
  }

  get name(): string {
    return `${this.kind}/${this.id}`;
  }

  /** The next `step` command blocks inside the handler until `release()`. */
  hold(step: Step): Gate {
    let open!: () => void;
    let hit!: (c: Command) => void;
    const released = new Promise<void>((r) => {
      open = r;
    });
    const reached = new Promise<Command>((r) => {
      hit = r;
    });
    this.#gates.set(step, { released, hit });
    return {
      reached,
      release: () => {
        this.#gates.delete(step);
        open();
      },
    };
  }

  /** The steps this module's handler ran for `reorgId`, in order. */
  ran(reorgId: string): string[] {
    return this.calls
      .filter((c) => c.module === this.name && c.command.reorgId === reorgId)
      .map((c) => c.command.step);
  }

  async #run(command: Command): Promise<unknown> {
    this.calls.push({ seq: ++seq, module: this.name, command });
    const g = this.#gates.get(command.step);
    if (g) {
      g.hit(command);
      await g.released;
    }
    return { module: this.name, step: command.step, targetBlock: command.targetBlock ?? null };
  }
}

/** A pino-shaped logger that drops everything (fake modules are noisy in test output). */
export const silentLogger = createLogger('fake-module', 'silent');

/** Waits until the reorg `reorgId` is in history and returns it. */
export async function waitForHistory(
  etcd: Etcd3,
  chainId: number,
  reorgId: string,
  timeoutMs = 30_000,
): Promise<ReorgContext> {
  return waitFor(async () => (await readHistory(etcd, chainId)).find((c) => c.reorgId === reorgId), {
    timeoutMs,
    what: `reorg ${reorgId} DONE`,
  });
}
