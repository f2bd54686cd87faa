import { describeError, isTickstreamError, type Partition } from '@tickstream/shared';
import { TakeoverFence } from '../assign';
import type { ProjectorDeps } from './deps';
import { type BatchListener, type MayWrite, PartitionRunner } from './partition';

interface Running {
  readonly runner: PartitionRunner;
  readonly stop: AbortController;
  readonly done: Promise<void>;
}

export interface RunnerSetOptions {
  readonly onBatch?: BatchListener;
  /** Checked by every runner before each write (etcd assignment). */
  readonly mayWrite?: MayWrite;
  /** A runner failed fatally (PROJECTION_INVARIANT, CHECKPOINT_CONFLICT, …): the process must stop. */
  readonly onFatal: (err: unknown, runner: PartitionRunner) => void;
}

/**
 * The partition runners of this process, started and stopped while it runs (static assignment starts
 * them all once; etcd assignment as claims come and go). Starts and stops are serialized with the
 * control plane's steps (`exclusive`), so a suspend, rollback or restore sees one fixed set of runners;
 * while the control plane holds the partitions parked (`parked`), a runner started meanwhile starts
 * parked too and waits for the restore. Under etcd assignment (`mayWrite`) a runner first ends any
 * transaction a previous owner still holds open on its partition (`TakeoverFence`: an owner frozen in
 * the middle of a commit would otherwise hold the checkpoint row, and its successor, until it wakes).
 *
 * @example
 * const set = new RunnerSet(deps, { onFatal: (err) => stop(err) });
 * await set.start(2);
 * await set.stop(2); // after its current batch
 */
export class RunnerSet {
  readonly #deps: ProjectorDeps;
  readonly #opts: RunnerSetOptions;
  readonly #running = new Map<string, Running>();
  /** Etcd assignment only: partitions change owner, a previous one may have left a write open. */
  readonly #fence: TakeoverFence | null;
  #lock: Promise<unknown> = Promise.resolve();
  /** True between a suspend/pause and the restore/resume: runners park between batches. */
  parked = false;

  constructor(deps: ProjectorDeps, opts: RunnerSetOptions) {
    this.#deps = deps;
    this.#opts = opts;
    this.#fence =
      opts.mayWrite === undefined ? null : new TakeoverFence(deps.pg, deps.cfg.CHAIN_ID, deps.log);
  }

  /** The runners now, in start order. */
  get runners(): PartitionRunner[] {
    return [...this.#running.values()].map((r) => r.runner);
  }

  /** False while this process may not write its partitions (etcd assignment, stale lease). */
  mayWrite(): boolean {
    return this.#opts.mayWrite?.() ?? true;
  }

  partitions(): Partition[] {
    return this.runners.map((r) => r.partition);
  }

  /** Runs `fn` while no runner starts or stops (and no other `exclusive` runs). */
  exclusive<T>(fn: () => Promise<T> | T): Promise<T> {
    const next = this.#lock.then(fn);
    this.#lock = next.catch(() => undefined);
    return next;
  }

  /** Starts the runner of `partition` (once; parked if the partitions are parked). */
  start(partition: Partition): Promise<void> {
    return this.exclusive(() => {
      const name = String(partition);
      if (this.#running.has(name)) return;
      const runner = new PartitionRunner(this.#deps, partition, this.#opts.onBatch, this.#opts.mayWrite);
      if (this.parked) void runner.gate.suspend();
      const stop = new AbortController();
      // The fence first (it never rejects, and gives up waiting when the runner is stopped meanwhile).
      const fenced = this.#fence?.evict(partition, stop.signal);
      const running =
        fenced === undefined ? runner.run(stop.signal) : fenced.then(() => runner.run(stop.signal));
      const done = running
        .catch((err: unknown) => {
          this.#deps.log.fatal(
            {
              partition: name,
              code: isTickstreamError(err) ? err.code : 'INTERNAL',
              details: isTickstreamError(err) ? err.details : {},
            },
            `partition ${name} stopped: ${describeError(err)}`,
          );
          this.#opts.onFatal(err, runner);
        })
        .finally(() => {
          if (this.#running.get(name)?.runner === runner) this.#running.delete(name);
        });
      this.#running.set(name, { runner, stop, done });
    });
  }

  /** Stops the runner of `partition` after its current batch; resolves when it has stopped. */
  stop(partition: Partition): Promise<void> {
    return this.exclusive(async () => {
      const r = this.#running.get(String(partition));
      if (r === undefined) return;
      r.stop.abort();
      await r.done;
    });
  }

  /** Asks every runner to stop after its current batch, at once (no waiting, no lock). */
  abortAll(): void {
    for (const r of this.#running.values()) r.stop.abort();
  }

  /** Stops every runner; resolves when all have stopped. */
  async stopAll(): Promise<void> {
    this.abortAll();
    await Promise.all([...this.#running.values()].map((r) => r.done));
  }
}
