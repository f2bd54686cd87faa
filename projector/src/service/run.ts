import { describeError, isTickstreamError, type Partition } from '@tickstream/shared';
import { selectPartitions } from '../config';
import { ProjectorControl } from '../control/control';
import { migrateProjections, SnapshotCache } from '../store';
import type { ProjectorDeps } from './deps';
import { runFinality } from './finality';
import { PartitionRunner } from './partition';

/**
 * Runs the projector: migrates the schema, registers with the coordinator (CONTROL_PLANE=etcd), then
 * runs every selected partition (PROJECTOR_PARTITIONS, default all: pool partitions 0..PARTITIONS-1 and
 * 'tokens'), each with its own feed, model and checkpoint, concurrently in this process, plus the
 * finality task, until `signal` aborts. When one partition fails fatally the others are stopped (after
 * their current batch) and the error is rethrown.
 *
 * @example
 * const controller = new AbortController();
 * process.once('SIGTERM', () => controller.abort());
 * await runProjector(deps, controller.signal);
 */
export async function runProjector(given: ProjectorDeps, signal: AbortSignal): Promise<void> {
  const deps: ProjectorDeps = { ...given, snapshots: given.snapshots ?? new SnapshotCache() };
  const { cfg, log } = deps;
  await migrateProjections(deps.pg);
  const partitions: Partition[] = selectPartitions(cfg.PROJECTOR_PARTITIONS, cfg.PARTITIONS);
  log.info(
    {
      partitions: partitions.map(String),
      batchEntries: cfg.PROJECTOR_BATCH_ENTRIES,
      snapshotEveryBlocks: cfg.SNAPSHOT_EVERY_BLOCKS,
      controlPlane: cfg.CONTROL_PLANE,
    },
    'projector starting',
  );
  let control: ProjectorControl | null = null;
  const runners = partitions.map((p) => new PartitionRunner(deps, p, () => control?.progress()));
  const stopAll = new AbortController();
  const onAbort = () => stopAll.abort();
  signal.addEventListener('abort', onAbort, { once: true });
  if (signal.aborted) stopAll.abort();
  let fatal: unknown;
  let finality: Promise<void> = Promise.resolve();
  try {
    control = await ProjectorControl.start(deps, runners);
    finality = runFinality(deps, partitions, stopAll.signal);
    await Promise.all(
      runners.map((r) =>
        r.run(stopAll.signal).catch((err: unknown) => {
          log.fatal(
            {
              partition: String(r.partition),
              code: isTickstreamError(err) ? err.code : 'INTERNAL',
              details: isTickstreamError(err) ? err.details : {},
            },
            `partition ${r.partition} stopped: ${describeError(err)}`,
          );
          fatal ??= err;
          stopAll.abort();
        }),
      ),
    );
  } finally {
    stopAll.abort();
    signal.removeEventListener('abort', onAbort);
    await finality;
    await control?.close();
  }
  if (fatal !== undefined) throw fatal;
}
