import { type Command, connectEtcd, type ModuleHandle, registerModule } from '@tickstream/coordinator/client';
import { TickstreamError } from '@tickstream/shared';
import type { Etcd3 } from 'etcd3';
import { rewindPartitions } from '../rewind/rewind';
import type { ProjectorDeps } from '../service/deps';
import { memberIdOf } from '../service/run';
import type { RunnerSet } from '../service/runners';

/** How often, at most, the module status (block, lag) is written to etcd. */
const STATUS_INTERVAL_MS = 1_000;

/**
 * The projector's side of the control plane (CONTROL_PLANE=etcd): registered as module `projector`
 * (id MODULE_ID or `projector-<pid>`), it runs the coordinator's fenced commands against the partitions
 * this process runs at that moment (the set can change with the etcd assignment; each step runs while
 * no runner starts or stops): suspend/pause park every partition after its current batch (committed and
 * acked), and a partition this process takes over while parked starts parked; rollback rewinds them all
 * to the target block (`rewindPartitions`: one read of the ledger, one transaction per partition) and
 * answers with the time it took and the partitions; restore/resume let them go on. A partition taken
 * over from a dead process mid-reorg needs no command: it starts from its checkpoint, and the reorg's
 * rollback entry in its stream rewinds it (or, if the dead owner had rewound it, is passed). Its status
 * carries the lowest checkpoint block of its partitions, their lag (entries still in the stream) and
 * which partitions it runs, at most once a second.
 */
export class ProjectorControl {
  #handle: ModuleHandle | null = null;
  #lastUpdate = 0;
  #timer: NodeJS.Timeout | null = null;

  private constructor(
    private readonly deps: ProjectorDeps,
    private readonly etcd: Etcd3,
    private readonly set: RunnerSet,
    readonly id: string,
  ) {}

  /** Registers with the coordinator, or returns null when CONTROL_PLANE is 'none'. */
  static async start(deps: ProjectorDeps, set: RunnerSet): Promise<ProjectorControl | null> {
    if (deps.cfg.CONTROL_PLANE === 'none') return null;
    const etcd = connectEtcd(deps.cfg.ETCD_URL);
    const control = new ProjectorControl(deps, etcd, set, memberIdOf(deps.cfg));
    control.#handle = await registerModule(etcd, {
      chainId: deps.cfg.CHAIN_ID,
      kind: 'projector',
      id: control.id,
      leaseTtlS: deps.cfg.MODULE_LEASE_TTL_S,
      initial: { block: control.block(), partitions: set.partitions().map(String) },
      onCommand: (cmd) => control.#onCommand(cmd),
      onRefused: (err) => deps.log.warn({ err: err.message }, 'refused a command from a deposed leader'),
      log: deps.log,
    });
    deps.log.info({ module: control.#handle.key }, 'registered with the coordinator');
    return control;
  }

  /** The lowest checkpoint block of the partitions (0 before any). */
  block(): number {
    let min: number | null = null;
    for (const r of this.set.runners) if (r.block !== null && (min === null || r.block < min)) min = r.block;
    return min ?? 0;
  }

  /** Entries of the partitions still in the stream. */
  lag(): number {
    let sum = 0;
    for (const r of this.set.runners) sum += r.pending;
    return sum;
  }

  /** Publishes block and lag, at most once a second (a last change is written when the second ends). */
  progress(): void {
    if (this.#handle === null || this.#timer !== null) return;
    const wait = Math.max(0, this.#lastUpdate + STATUS_INTERVAL_MS - Date.now());
    this.#timer = setTimeout(() => {
      this.#timer = null;
      this.#lastUpdate = Date.now();
      void this.#handle
        ?.update({ block: this.block(), lag: this.lag(), partitions: this.set.partitions().map(String) })
        .catch(() => {});
    }, wait);
    this.#timer.unref();
  }

  /** The partitions this process runs changed: publish them in the status (once, soon). */
  partitionsChanged(): void {
    this.progress();
  }

  async close(): Promise<void> {
    if (this.#timer !== null) clearTimeout(this.#timer);
    await this.#handle?.close().catch(() => {});
    this.etcd.close();
  }

  /** Parks every runner (and any started later, until a restore/resume). */
  async #park(): Promise<Record<string, number | null>> {
    this.set.parked = true;
    const runners = this.set.runners;
    await Promise.all(runners.map((r) => r.park()));
    const blocks: Record<string, number | null> = {};
    for (const r of runners) blocks[String(r.partition)] = r.block;
    return blocks;
  }

  #onCommand(cmd: Command): Promise<unknown> {
    return this.set.exclusive(() => this.#step(cmd));
  }

  async #step(cmd: Command): Promise<unknown> {
    const { log } = this.deps;
    switch (cmd.step) {
      case 'suspend':
      case 'pause': {
        const blocks = await this.#park();
        await this.#handle?.update({ state: 'suspended', block: this.block() });
        log.info({ step: cmd.step, reorgId: cmd.reorgId, blocks }, 'partitions parked');
        return { blocks };
      }
      case 'rollback': {
        if (cmd.targetBlock === undefined)
          throw new TickstreamError('INTERNAL', `rollback ${cmd.reorgId} without targetBlock`);
        const t0 = performance.now();
        await this.#park();
        if (!this.set.mayWrite()) {
          throw new TickstreamError(
            'COORDINATOR_UNAVAILABLE',
            'the projector lease is stale: rollback later',
            {
              retryable: true,
            },
          );
        }
        const runners = this.set.runners;
        const results =
          runners.length === 0
            ? []
            : await rewindPartitions(
                this.deps,
                runners.map((r) => r.partition),
                cmd.targetBlock,
                cmd.reorgId,
              );
        for (const [i, r] of runners.entries()) r.adopt(results[i]!);
        const ms = Math.round(performance.now() - t0);
        const partitions = results.map((r) => ({
          partition: String(r.partition),
          repeated: r.repeated,
          block: r.checkpoint?.blockNumber ?? null,
          ms: Math.round(r.ms),
          snapshotBlock: r.snapshot?.block ?? null,
          replayed: r.replay.entries,
          folded: r.replay.folded,
          orphaned: r.orphaned,
        }));
        log.info(
          { reorgId: cmd.reorgId, toBlock: cmd.targetBlock, rollbackMs: ms, partitions },
          `rollback ${cmd.reorgId} to block ${cmd.targetBlock}: partitions rewound in ${ms} ms`,
        );
        await this.#handle?.update({ block: this.block() });
        return { toBlock: cmd.targetBlock, ms, partitions };
      }
      case 'restore':
      case 'resume':
        this.set.parked = false;
        for (const r of this.set.runners) r.resume();
        await this.#handle?.update({ state: 'running', detail: '' });
        return { from: cmd.targetBlock === undefined ? null : cmd.targetBlock + 1 };
    }
  }
}
