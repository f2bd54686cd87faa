import { connectEtcd } from '@tickstream/coordinator/client';
import { PartitionAssigner } from '../assign';
import { assignmentOf, selectPartitions } from '../config';
import { ProjectorControl } from '../control/control';
import { migrateProjections, SnapshotCache } from '../store';
import type { ProjectorDeps } from './deps';
import { runFinality } from './finality';
import { RunnerSet } from './runners';

/**
 * Runs the projector: migrates the schema, registers with the coordinator (CONTROL_PLANE=etcd), then
 * runs partitions, each with its own feed, model and checkpoint, concurrently in this process, plus the
 * finality task over them, until `signal` aborts. Which partitions: with PROJECTOR_ASSIGNMENT static,
 * those of PROJECTOR_PARTITIONS (default all: pool partitions 0..PARTITIONS-1 and 'tokens'), for the
 * process's life; with etcd (the default with the control plane), a share of all of them that changes
 * as projector processes join and leave (`PartitionAssigner`: one owner per partition through etcd
 * leases, a dead owner's partitions taken over from their checkpoints). When one partition fails
 * fatally the others are stopped (after their current batch) and the error is rethrown. On a clean stop
 * every runner finishes its batch before the lease is revoked, so another process takes over at once.
 *
 * @example
 * const controller = new AbortController();
 * process.once('SIGTERM', () => controller.abort());
 * await runProjector(deps, controller.signal);
 */
export async function runProjector(given: ProjectorDeps, signal: AbortSignal): Promise<void> {
  const deps: ProjectorDeps = { ...given, snapshots: given.snapshots ?? new SnapshotCache() };
  const { cfg, log } = deps;
  const mode = assignmentOf(cfg);
  await migrateProjections(deps.pg);
  log.info(
    {
      assignment: mode,
      partitions:
        mode === 'static' ? selectPartitions(cfg.PROJECTOR_PARTITIONS, cfg.PARTITIONS).map(String) : 'shared',
      batchEntries: cfg.PROJECTOR_BATCH_ENTRIES,
      snapshotEveryBlocks: cfg.SNAPSHOT_EVERY_BLOCKS,
      controlPlane: cfg.CONTROL_PLANE,
    },
    'projector starting',
  );
  const stopAll = new AbortController();
  const onAbort = () => stopAll.abort();
  signal.addEventListener('abort', onAbort, { once: true });
  if (signal.aborted) stopAll.abort();
  let fatal: unknown;
  let control: ProjectorControl | null = null;
  let assigner: PartitionAssigner | null = null;
  const set = new RunnerSet(deps, {
    onBatch: () => control?.progress(),
    ...(mode === 'etcd' ? { mayWrite: () => assigner?.mayWrite() === true } : {}),
    onFatal: (err) => {
      fatal ??= err;
      stopAll.abort();
    },
  });
  const etcd = mode === 'etcd' ? connectEtcd(cfg.ETCD_URL) : null;
  let finality: Promise<void> = Promise.resolve();
  try {
    control = await ProjectorControl.start(deps, set);
    finality = runFinality(deps, () => set.partitions(), stopAll.signal);
    if (etcd === null) {
      for (const p of selectPartitions(cfg.PROJECTOR_PARTITIONS, cfg.PARTITIONS)) await set.start(p);
    } else if (!stopAll.signal.aborted) {
      assigner = PartitionAssigner.start(set, {
        etcd,
        chainId: cfg.CHAIN_ID,
        group: `${cfg.LEDGER_STREAM_PREFIX}_${cfg.PROJECTOR_CONSUMER_NAME}`,
        memberId: memberIdOf(cfg),
        partitionCount: cfg.PARTITIONS,
        leaseTtlS: cfg.MODULE_LEASE_TTL_S,
        log,
        onOwned: () => control?.partitionsChanged(),
      });
    }
    await new Promise<void>((resolve) => {
      if (stopAll.signal.aborted) resolve();
      stopAll.signal.addEventListener('abort', () => resolve(), { once: true });
    });
  } finally {
    stopAll.abort();
    signal.removeEventListener('abort', onAbort);
    await assigner?.close(); // runners first, then the lease: successors start from the last commits
    await set.stopAll();
    etcd?.close();
    await finality;
    await control?.close();
  }
  if (fatal !== undefined) throw fatal;
}

/**
 * This process's id in etcd, as module and as member of its projector group: MODULE_ID, or
 * `projector-<pid>`.
 *
 * @example memberIdOf({ MODULE_ID: 'projector-a' }) === 'projector-a'
 */
export function memberIdOf(cfg: { readonly MODULE_ID?: string | undefined }): string {
  return cfg.MODULE_ID ?? `projector-${process.pid}`;
}
