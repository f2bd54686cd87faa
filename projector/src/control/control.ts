import { type Command, connectEtcd, type ModuleHandle, registerModule } from '@tickstream/coordinator/client';
import { TickstreamError } from '@tickstream/shared';
import type { Etcd3 } from 'etcd3';
import { rewindPartitions } from '../rewind/rewind';
import type { ProjectorDeps } from '../service/deps';
import type { PartitionRunner } from '../service/partition';

/** How often, at most, the module status (block, lag) is written to etcd. */
const STATUS_INTERVAL_MS = 1_000;

/**
 * The projector's side of the control plane (CONTROL_PLANE=etcd): registered as module `projector`
 * (id MODULE_ID or `projector-<pid>`), it runs the coordinator's fenced commands against this process's
 * partitions: suspend/pause park every partition after its current batch (committed and acked); rollback
 * rewinds them all to the target block (`rewindPartitions`: one read of the ledger, one transaction per
 * partition) and answers with the time it took; restore/resume let them go on. Its status carries the
 * lowest checkpoint block of its partitions and their lag (entries still in the stream), at most once a
 * second.
 */
export class ProjectorControl {
  #handle: ModuleHandle | null = null;
  #lastUpdate = 0;
  #timer: NodeJS.Timeout | null = null;

  private constructor(
    private readonly deps: ProjectorDeps,
    private readonly etcd: Etcd3,
    private readonly runners: readonly PartitionRunner[],
    readonly id: string,
  ) {}

  /** Registers with the coordinator, or returns null when CONTROL_PLANE is 'none'. */
  static async start(
    deps: ProjectorDeps,
    runners: readonly PartitionRunner[],
  ): Promise<ProjectorControl | null> {
    if (deps.cfg.CONTROL_PLANE === 'none') return null;
    const etcd = connectEtcd(deps.cfg.ETCD_URL);
    const control = new ProjectorControl(
      deps,
      etcd,
      runners,
      deps.cfg.MODULE_ID ?? `projector-${process.pid}`,
    );
    control.#handle = await registerModule(etcd, {
      chainId: deps.cfg.CHAIN_ID,
      kind: 'projector',
      id: control.id,
      leaseTtlS: deps.cfg.MODULE_LEASE_TTL_S,
      initial: { block: control.block() },
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
    for (const r of this.runners) if (r.block !== null && (min === null || r.block < min)) min = r.block;
    return min ?? 0;
  }

  /** Entries of the partitions still in the stream. */
  lag(): number {
    let sum = 0;
    for (const r of this.runners) sum += r.pending;
    return sum;
  }

  /** Publishes block and lag, at most once a second (a last change is written when the second ends). */
  progress(): void {
    if (this.#handle === null || this.#timer !== null) return;
    const wait = Math.max(0, this.#lastUpdate + STATUS_INTERVAL_MS - Date.now());
    this.#timer = setTimeout(() => {
      this.#timer = null;
      this.#lastUpdate = Date.now();
      void this.#handle?.update({ block: this.block(), lag: this.lag() }).catch(() => {});
    }, wait);
    this.#timer.unref();
  }

  async close(): Promise<void> {
    if (this.#timer !== null) clearTimeout(this.#timer);
    await this.#handle?.close().catch(() => {});
    this.etcd.close();
  }

  async #park(): Promise<Record<string, number | null>> {
    await Promise.all(this.runners.map((r) => r.park()));
    const blocks: Record<string, number | null> = {};
    for (const r of this.runners) blocks[String(r.partition)] = r.block;
    return blocks;
  }

  async #onCommand(cmd: Command): Promise<unknown> {
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
        const results = await rewindPartitions(
          this.deps,
          this.runners.map((r) => r.partition),
          cmd.targetBlock,
          cmd.reorgId,
        );
        for (const [i, r] of this.runners.entries()) r.adopt(results[i]!);
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
        for (const r of this.runners) r.resume();
        await this.#handle?.update({ state: 'running', detail: '' });
        return { from: cmd.targetBlock === undefined ? null : cmd.targetBlock + 1 };
    }
  }
}
