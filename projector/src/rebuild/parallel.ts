import { unlink } from 'node:fs/promises';
import { pathToFileURL } from 'node:url';
import { Worker } from 'node:worker_threads';
import { type ErrorCode, type Partition, TickstreamError } from '@tickstream/shared';
import type { Pool } from 'pg';
import type { BatchChanges, PoolRow } from '../apply';
import type { LinkTarget } from '../consume/link';
import type { Hex } from '../fold';
import { takeBundle, WORKER_BOOT, WORKER_URL } from './bundle';
import type { FoldPosition } from './fold';
import {
  type FoldState,
  type FoldWorkerInit,
  type FoldWorkerReply,
  type FoldWorkerRequest,
  type FoldWorkerTableDone,
  WORKER_ROLE,
} from './worker';
import type { RowCounts } from './writer';

/** How long `close` waits for a worker to end its connections before it stops the thread. */
const CLOSE_TIMEOUT_MS = 5_000;
/**
 * What an entry of a pool partition costs a worker against one of `tokens` (decode, swap math, four
 * tables of rows against one; reading and COPY included): measured about 1.9 times on the bench ledger
 * (15 against 8 µs of worker CPU per entry).
 */
const POOL_ENTRY_WEIGHT = 1.9;

/** A partition folded on a worker, as the main thread sees it (its state as of the last reply). */
export class RemoteFold {
  state: FoldState = {
    position: { seq: 0, block: null, lastReorgId: null },
    entries: 0,
    logs: 0,
    blocks: 0,
    dropped: 0,
    queued: 0,
    lastSeq: 0,
  };
  constructor(
    readonly name: string,
    readonly partition: Partition,
    readonly kind: 'pools' | 'tokens',
    readonly worker: FoldWorker,
    readonly index: number,
  ) {}
  get position(): FoldPosition {
    return this.state.position;
  }
  get entries(): number {
    return this.state.entries;
  }
  get logs(): number {
    return this.state.logs;
  }
  get blocks(): number {
    return this.state.blocks;
  }
  get dropped(): number {
    return this.state.dropped;
  }
  get queued(): number {
    return this.state.queued;
  }
  get lastSeq(): number {
    return this.state.lastSeq;
  }
}

/** Request types answered by a reply (all but `targets`). */
type Request = Exclude<FoldWorkerRequest, { type: 'targets' }>;
type RequestBody = Request extends infer R ? (R extends Request ? Omit<R, 'id'> : never) : never;

/** One worker thread: its folds, its requests. */
export class FoldWorker {
  readonly folds: RemoteFold[] = [];
  #next = 1;
  readonly #waiting = new Map<
    number,
    { resolve: (r: FoldWorkerReply) => void; reject: (e: Error) => void }
  >();
  #dead: Error | null = null;
  copyWaitMs = 0;
  readWaitMs = 0;
  cpuSec = 0;
  /** Told as each of this worker's COPYs ends during `finish` (its rows of the table are all in). */
  onTable: ((table: string, rows: number) => void) | null = null;
  /** Resolves once the worker is connected to NATS with its inboxes subscribed. */
  readonly ready: Promise<FoldWorkerReply>;

  constructor(readonly thread: Worker) {
    this.ready = new Promise((resolve, reject) => this.#waiting.set(0, { resolve, reject }));
    this.ready.catch(() => undefined);
    thread.on('message', (r: FoldWorkerReply | FoldWorkerTableDone) => {
      if ('table' in r) {
        this.onTable?.(r.table, r.rows);
        return;
      }
      const w = this.#waiting.get(r.id);
      if (w === undefined) return;
      this.#waiting.delete(r.id);
      for (const f of this.folds) f.state = r.states[f.index]!;
      this.copyWaitMs = r.copyWaitMs;
      this.readWaitMs = r.readWaitMs;
      this.cpuSec = r.cpuSec;
      if (r.error !== undefined) {
        w.reject(
          new TickstreamError((r.error.code ?? 'INTERNAL') as ErrorCode, r.error.message, {
            retryable: r.error.retryable ?? false,
          }),
        );
      } else w.resolve(r);
    });
    const die = (err: Error) => {
      this.#dead ??= err;
      for (const w of this.#waiting.values()) w.reject(err);
      this.#waiting.clear();
    };
    thread.on('error', die);
    thread.on('exit', (code) => die(new Error(`rebuild worker exited (code ${code})`)));
  }

  /** Whether this worker folds a partition of `kind`. */
  has(kind: 'pools' | 'tokens'): boolean {
    return this.folds.some((f) => f.kind === kind);
  }

  request(msg: RequestBody): Promise<FoldWorkerReply> {
    if (this.#dead !== null) return Promise.reject(this.#dead);
    const id = this.#next++;
    const p = new Promise<FoldWorkerReply>((resolve, reject) => this.#waiting.set(id, { resolve, reject }));
    p.catch(() => undefined);
    this.thread.postMessage({ ...msg, id });
    return p;
  }

  /** Sets the folds' targets by partition name (folds stop there while reading). */
  targets(targets: ReadonlyMap<string, number>): void {
    if (this.#dead !== null) return;
    this.thread.postMessage({ type: 'targets', targets: this.folds.map((f) => targets.get(f.name)!) });
  }

  /**
   * Reads each fold's partition up to its goal (by partition name; a fold without one, or already
   * there, reads nothing), folding as it goes up to the targets; resolves once every read is done.
   */
  async read(goals: ReadonlyMap<string, number>): Promise<void> {
    const g = this.folds.map((f) => {
      const to = goals.get(f.name);
      return to !== undefined && to > f.lastSeq ? to : -1;
    });
    if (g.every((to) => to < 0)) return;
    await this.request({ type: 'read', goals: g });
  }

  /** Folds up to `targets` (by partition name); `all`: the held blocks too. */
  async fold(targets: ReadonlyMap<string, number>, all: boolean): Promise<void> {
    await this.request({ type: 'fold', targets: this.folds.map((f) => targets.get(f.name)!), all });
  }

  /** Ends the COPYs and copies the latest rows (`onTable` told of each table meanwhile); rows per table. */
  async finish(): Promise<RowCounts> {
    return (await this.request({ type: 'finish' })).counts ?? {};
  }
}

/**
 * The folds of a rebuild spread over worker threads (`worker.ts`): each worker reads its partitions'
 * subjects of the ledger itself, one consumer per partition, all streaming at once, and decodes, folds
 * (`PartitionFold`) and COPYs its rows on its own connections (`RowWriter`). Partitions are spread by
 * their estimated cost (entry counts, pool entries weighing POOL_ENTRY_WEIGHT), heaviest first onto
 * the least loaded worker. The workers go their own pace: nothing on the main thread is in their way.
 *
 * @example
 * const fw = await FoldWorkers.start(pg, { chainId, partitions, subjects, weights, hold: 64, schema,
 *   confirmedBlock, workers: 2, stream, first: 1, nats: { url, name } });
 * await fw.open(); // the schema exists
 * await Promise.all(fw.workers.map(async (w) => { await w.read(goals); await w.fold(targets, true); await w.finish(); }));
 * await fw.close();
 */
export class FoldWorkers {
  readonly folds: RemoteFold[] = [];
  readonly workers: FoldWorker[];
  readonly #bundle: string | null;

  private constructor(workers: FoldWorker[], bundle: string | null) {
    this.workers = workers;
    this.#bundle = bundle;
  }

  static async start(
    pg: Pool,
    opts: {
      chainId: number;
      partitions: readonly Partition[];
      /** The subject of each partition, in the same order. */
      subjects: readonly string[];
      /** Entries per partition (to balance the workers), in the same order. */
      weights: readonly number[];
      hold: number;
      schema: string;
      confirmedBlock: number;
      workers: number;
      stream: string;
      first: number;
      nats: LinkTarget;
    },
  ): Promise<FoldWorkers> {
    const n = Math.max(1, Math.min(opts.workers, opts.partitions.length));
    const groups: { load: number; parts: number[] }[] = Array.from({ length: n }, () => ({
      load: 0,
      parts: [],
    }));
    const cost = opts.partitions.map(
      (p, i) => (opts.weights[i] ?? 1) * (p === 'tokens' ? 1 : POOL_ENTRY_WEIGHT),
    );
    const order = opts.partitions.map((_, i) => i).sort((a, b) => cost[b]! - cost[a]!);
    for (const i of order) {
      const g = groups.reduce((m, x) => (x.load < m.load ? x : m));
      g.parts.push(i);
      g.load += cost[i]!;
    }
    const db = plainOptions(pg);
    const bundle = await takeBundle(); // used once: the file is removed by close()
    const workers = groups.map((g) => {
      const init: FoldWorkerInit = {
        role: WORKER_ROLE,
        chainId: opts.chainId,
        partitions: g.parts.map((i) => opts.partitions[i]!),
        subjects: g.parts.map((i) => opts.subjects[i]!),
        stream: opts.stream,
        first: opts.first,
        hold: opts.hold,
        schema: opts.schema,
        confirmedBlock: opts.confirmedBlock,
        db,
        nats: opts.nats,
      };
      return new FoldWorker(
        bundle !== null
          ? new Worker(pathToFileURL(bundle), { workerData: init, execArgv: [] })
          : new Worker(WORKER_BOOT, { eval: true, workerData: { ...init, entry: WORKER_URL }, execArgv: [] }),
      );
    });
    const fw = new FoldWorkers(workers, bundle);
    const byIndex: RemoteFold[] = [];
    for (const [w, g] of groups.entries()) {
      for (const [local, i] of g.parts.entries()) {
        const p = opts.partitions[i]!;
        const f = new RemoteFold(String(p), p, p === 'tokens' ? 'tokens' : 'pools', workers[w]!, local);
        workers[w]!.folds.push(f);
        byIndex[i] = f;
      }
    }
    fw.folds.push(...byIndex);
    try {
      await Promise.all(workers.map((w) => w.ready));
    } catch (err) {
      await fw.close();
      throw err;
    }
    return fw;
  }

  /** Starts the workers' COPYs (the rebuild schema exists). */
  async open(): Promise<void> {
    await Promise.all(this.workers.map((w) => w.request({ type: 'open' })));
  }

  /** Sets every fold's target (by partition name). */
  targets(targets: ReadonlyMap<string, number>): void {
    for (const w of this.workers) w.targets(targets);
  }

  /** Brings the folds' states up to date (for progress). */
  async refresh(): Promise<void> {
    await Promise.all(this.workers.map((w) => w.request({ type: 'state' })));
  }

  /** Folds each partition to its target (held blocks too) and returns its changes, one batch per fold. */
  async swapFold(targets: readonly number[]): Promise<BatchChanges[]> {
    const out: BatchChanges[] = [];
    const byFold = new Map(this.folds.map((f, i) => [f, targets[i]!] as const));
    const replies = await Promise.all(
      this.workers.map((w) => w.request({ type: 'swapFold', targets: w.folds.map((f) => byFold.get(f)!) })),
    );
    for (const [k, w] of this.workers.entries()) {
      for (const f of w.folds) out[this.folds.indexOf(f)] = replies[k]!.batches![f.index]!;
    }
    return out;
  }

  /** The latest pool rows of each fold (in `folds` order). */
  async pools(): Promise<Map<Hex, PoolRow>[]> {
    const out: Map<Hex, PoolRow>[] = [];
    const replies = await Promise.all(this.workers.map((w) => w.request({ type: 'pools' })));
    for (const [k, w] of this.workers.entries()) {
      for (const f of w.folds) {
        out[this.folds.indexOf(f)] = new Map(replies[k]!.pools![f.index]! as [Hex, PoolRow][]);
      }
    }
    return out;
  }

  /** Time the workers waited for Postgres to take COPY data, in ms (summed). */
  get copyWaitMs(): number {
    return this.workers.reduce((n, w) => n + w.copyWaitMs, 0);
  }

  /** Time the workers waited for NATS with nothing to fold, in ms (summed). */
  get readWaitMs(): number {
    return this.workers.reduce((n, w) => n + w.readWaitMs, 0);
  }

  /** CPU seconds of each worker thread (as of its last reply). */
  get cpuSec(): number[] {
    return this.workers.map((w) => w.cpuSec);
  }

  /** Closes the workers' connections and stops them. */
  async close(): Promise<void> {
    await Promise.all(
      this.workers.map(async (w) => {
        // A worker that does not answer in time (Postgres stuck) is stopped anyway: its sockets go with it.
        let timer: NodeJS.Timeout | undefined;
        await Promise.race([
          w.request({ type: 'close' }).catch(() => undefined),
          new Promise((resolve) => {
            timer = setTimeout(resolve, CLOSE_TIMEOUT_MS);
          }),
        ]);
        clearTimeout(timer);
        await w.thread.terminate();
      }),
    );
    if (this.#bundle !== null) await unlink(this.#bundle).catch(() => undefined);
  }
}

/** The pool's connection settings a worker can be given (plain values only). */
function plainOptions(pg: Pool): Record<string, string | number | boolean> {
  const o = (pg as unknown as { options: Record<string, unknown> }).options ?? {};
  const out: Record<string, string | number | boolean> = {};
  for (const k of [
    'connectionString',
    'host',
    'port',
    'user',
    'password',
    'database',
    'ssl',
    'application_name',
  ]) {
    const v = o[k];
    if (typeof v === 'string' || typeof v === 'number' || typeof v === 'boolean') out[k] = v;
  }
  return out;
}
