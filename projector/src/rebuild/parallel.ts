import { unlink } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { Worker } from 'node:worker_threads';
import { type ErrorCode, type Partition, TickstreamError } from '@tickstream/shared';
import type { Pool } from 'pg';
import type { BatchChanges, PoolRow } from '../apply';
import type { Hex } from '../fold';
import type { FoldPosition } from './fold';
import type { StreamMessage } from './read';
import {
  type FoldState,
  type FoldWorkerInit,
  type FoldWorkerReply,
  FRAME_HEADER,
  WORKER_ROLE,
} from './worker';
import type { RowCounts } from './writer';

const WORKER_URL = new URL('./worker.ts', import.meta.url).href;
/** Without the bundle: tsx's loader registered in the worker (a parent's hooks are not inherited on Node 20). */
const WORKER_BOOT = `import('tsx/esm/api').then((m) => { m.register(); return import(require('node:worker_threads').workerData.entry); })`;

/**
 * The worker's code bundled into one ES module (esbuild, a dependency; tsx uses it too) in the temp directory:
 * loading `worker.ts` and its graph (viem, pg, the workspace packages) through tsx's loader costs each
 * worker about a second of CPU (every module a round trip to the loader's thread); the bundle loads in
 * a fraction of that. Null (esbuild missing or failing): the workers boot through tsx.
 */
export function bundleWorker(): Promise<string | null> {
  bundling ??= build();
  return bundling;
}

let bundling: Promise<string | null> | null = null;

async function build(): Promise<string | null> {
  try {
    const esbuild = await import('esbuild');
    const out = join(tmpdir(), `tickstream-rebuild-worker-${process.pid}-${Date.now()}.mjs`);
    await esbuild.build({
      entryPoints: [fileURLToPath(WORKER_URL)],
      bundle: true,
      platform: 'node',
      format: 'esm',
      target: 'node20',
      outfile: out,
      external: ['pg-native'],
      // The CommonJS packages (pg) require Node's builtins.
      banner: {
        js: "import { createRequire as __tsRequire } from 'node:module'; const require = __tsRequire(import.meta.url);",
      },
      logLevel: 'silent',
    });
    return out;
  } catch {
    return null;
  }
}

/** Bytes of a data chunk handed to a worker (grown for a bigger entry). */
const CHUNK_BYTES = 1 << 20;
/** Fold requests a worker may have outstanding before `take` waits (the read runs that far ahead). */
const MAX_OUTSTANDING = 3;
/** How long `close` waits for a worker to end its connections before it stops the thread. */
const CLOSE_TIMEOUT_MS = 5_000;

/** A partition folded on a worker, as the main thread sees it (its state as of the last reply). */
export class RemoteFold {
  state: FoldState = {
    position: { seq: 0, block: null, lastReorgId: null },
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
}

/** One worker thread and the chunk being filled for it. */
class FoldWorker {
  readonly folds: RemoteFold[] = [];
  #buf = new ArrayBuffer(CHUNK_BYTES);
  #view = new DataView(this.#buf);
  #bytes = new Uint8Array(this.#buf);
  #pos = 0;
  #next = 1;
  readonly #waiting = new Map<
    number,
    { resolve: (r: FoldWorkerReply) => void; reject: (e: Error) => void }
  >();
  #dead: Error | null = null;
  outstanding: Promise<FoldWorkerReply>[] = [];
  copyWaitMs = 0;
  cpuSec = 0;

  constructor(readonly thread: Worker) {
    thread.on('message', (r: FoldWorkerReply) => {
      const w = this.#waiting.get(r.id);
      if (w === undefined) return;
      this.#waiting.delete(r.id);
      for (const f of this.folds) f.state = r.states[f.index]!;
      this.copyWaitMs = r.copyWaitMs;
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

  /** Adds one entry of local fold `index` to the chunk (handed over when full). */
  add(index: number, seq: number, data: Uint8Array): void {
    const need = FRAME_HEADER + data.length;
    if (this.#buf.byteLength - this.#pos < need) {
      this.send();
      if (this.#buf.byteLength < need) this.#alloc(need);
    }
    const at = this.#pos;
    this.#view.setUint8(at, index);
    this.#view.setFloat64(at + 1, seq, true);
    this.#view.setUint32(at + 9, data.length, true);
    this.#bytes.set(data, at + FRAME_HEADER);
    this.#pos = at + need;
  }

  #alloc(size: number): void {
    this.#buf = new ArrayBuffer(size);
    this.#view = new DataView(this.#buf);
    this.#bytes = new Uint8Array(this.#buf);
    this.#pos = 0;
  }

  /** Hands the chunk over (transferred, not copied). */
  send(): void {
    if (this.#pos === 0) return;
    const buf = this.#buf;
    const length = this.#pos;
    this.#alloc(CHUNK_BYTES);
    this.thread.postMessage({ type: 'data', buf, length }, [buf]);
  }

  request(msg: Record<string, unknown>): Promise<FoldWorkerReply> {
    if (this.#dead !== null) return Promise.reject(this.#dead);
    this.send();
    const id = this.#next++;
    const p = new Promise<FoldWorkerReply>((resolve, reject) => this.#waiting.set(id, { resolve, reject }));
    p.catch(() => undefined);
    this.thread.postMessage({ ...msg, id });
    return p;
  }
}

/**
 * The folds of a rebuild spread over worker threads (`worker.ts`): the main thread reads the stream and
 * hands each partition's raw entries, in ~1 MiB transferred chunks, to the worker that owns it; each
 * worker decodes, folds (`PartitionFold`) and COPYs its rows on its own connections (`RowWriter`).
 * Partitions are spread by their entry counts (the stream's per-subject counts).
 *
 * @example
 * const fw = await FoldWorkers.start(pg, { chainId, partitions, hold: 64, schema, confirmedBlock, weights });
 * fw.push(batch); await fw.fold(targets, false); const rows = await fw.finish(); await fw.close();
 */
export class FoldWorkers {
  readonly folds: RemoteFold[] = [];
  readonly #workers: FoldWorker[];
  readonly #route = new Map<string, RemoteFold>();

  readonly #bundle: string | null;

  private constructor(workers: FoldWorker[], bundle: string | null) {
    this.#workers = workers;
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
    },
  ): Promise<FoldWorkers> {
    const n = Math.max(1, Math.min(opts.workers, opts.partitions.length));
    const groups: { load: number; parts: number[] }[] = Array.from({ length: n }, () => ({
      load: 0,
      parts: [],
    }));
    const order = opts.partitions.map((_, i) => i).sort((a, b) => opts.weights[b]! - opts.weights[a]!);
    for (const i of order) {
      const g = groups.reduce((m, x) => (x.load < m.load ? x : m));
      g.parts.push(i);
      g.load += opts.weights[i]!;
    }
    const db = plainOptions(pg);
    const bundle = await bundleWorker();
    bundling = null; // used once: the file is removed by close()
    const workers = groups.map((g) => {
      const init: FoldWorkerInit = {
        role: WORKER_ROLE,
        chainId: opts.chainId,
        partitions: g.parts.map((i) => opts.partitions[i]!),
        hold: opts.hold,
        schema: opts.schema,
        confirmedBlock: opts.confirmedBlock,
        db,
      };
      return new FoldWorker(
        bundle !== null
          ? new Worker(pathToFileURL(bundle), {
              workerData: init,
              execArgv: [],
            })
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
        fw.#route.set(opts.subjects[i]!, f);
      }
    }
    fw.folds.push(...byIndex);
    return fw;
  }

  /** Hands a batch of stream messages to the workers (chunks are sent once full, or with the next request). */
  push(batch: readonly StreamMessage[]): void {
    for (const m of batch) {
      const f = this.#route.get(m.subject);
      if (f !== undefined) f.worker.add(f.index, m.seq, m.data);
    }
  }

  /**
   * Asks every worker to fold up to `targets` (by partition name); resolves once no worker has more than
   * MAX_OUTSTANDING requests waiting (`wait`: once all are done).
   */
  async fold(targets: ReadonlyMap<string, number>, all: boolean, wait: boolean): Promise<void> {
    for (const w of this.#workers) {
      w.outstanding.push(w.request({ type: 'fold', targets: w.folds.map((f) => targets.get(f.name)!), all }));
    }
    for (const w of this.#workers) {
      while (w.outstanding.length > (wait ? 0 : MAX_OUTSTANDING)) await w.outstanding.shift();
    }
  }

  /** Folds each partition to its target (held blocks too) and returns its changes, one batch per fold. */
  async swapFold(targets: readonly number[]): Promise<BatchChanges[]> {
    const out: BatchChanges[] = [];
    const byFold = new Map(this.folds.map((f, i) => [f, targets[i]!] as const));
    const replies = await Promise.all(
      this.#workers.map((w) => w.request({ type: 'swapFold', targets: w.folds.map((f) => byFold.get(f)!) })),
    );
    for (const [k, w] of this.#workers.entries()) {
      for (const f of w.folds) out[this.folds.indexOf(f)] = replies[k]!.batches![f.index]!;
    }
    return out;
  }

  /** The latest pool rows of each fold (in `folds` order). */
  async pools(): Promise<Map<Hex, PoolRow>[]> {
    const out: Map<Hex, PoolRow>[] = [];
    const replies = await Promise.all(this.#workers.map((w) => w.request({ type: 'pools' })));
    for (const [k, w] of this.#workers.entries()) {
      for (const f of w.folds) {
        out[this.folds.indexOf(f)] = new Map(replies[k]!.pools![f.index]! as [Hex, PoolRow][]);
      }
    }
    return out;
  }

  /** Ends the COPYs and copies the latest rows; rows per table, summed over the workers. */
  async finish(): Promise<RowCounts> {
    const replies = await Promise.all(this.#workers.map((w) => w.request({ type: 'finish' })));
    const counts: RowCounts = {};
    for (const r of replies)
      for (const [t, n] of Object.entries(r.counts ?? {})) counts[t] = (counts[t] ?? 0) + n;
    return counts;
  }

  /** Time the workers waited for Postgres to take COPY data, in ms (summed). */
  get copyWaitMs(): number {
    return this.#workers.reduce((n, w) => n + w.copyWaitMs, 0);
  }

  /** CPU seconds of each worker thread (as of its last reply). */
  get cpuSec(): number[] {
    return this.#workers.map((w) => w.cpuSec);
  }

  /** Closes the workers' connections and stops them. */
  async close(): Promise<void> {
    await Promise.all(
      this.#workers.map(async (w) => {
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
