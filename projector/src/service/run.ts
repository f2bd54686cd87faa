import { describeError, isTickstreamError, type Partition } from '@tickstream/shared';
import { selectPartitions } from '../config';
import { migrateProjections } from '../store';
import type { ProjectorDeps } from './deps';
import { runPartition } from './partition';

/**
 * Runs the projector: migrates the schema, then every selected partition (PROJECTOR_PARTITIONS, default
 * all: pool partitions 0..PARTITIONS-1 and 'tokens'), each with its own feed, model and checkpoint,
 * concurrently in this process, until `signal` aborts. When one partition fails fatally the others are
 * stopped (after their current batch) and the error is rethrown.
 *
 * @example
 * const controller = new AbortController();
 * process.once('SIGTERM', () => controller.abort());
 * await runProjector(deps, controller.signal);
 */
export async function runProjector(deps: ProjectorDeps, signal: AbortSignal): Promise<void> {
  const { cfg, log } = deps;
  await migrateProjections(deps.pg);
  const partitions: Partition[] = selectPartitions(cfg.PROJECTOR_PARTITIONS, cfg.PARTITIONS);
  log.info(
    { partitions: partitions.map(String), batchEntries: cfg.PROJECTOR_BATCH_ENTRIES },
    'projector starting',
  );
  const stopAll = new AbortController();
  const onAbort = () => stopAll.abort();
  signal.addEventListener('abort', onAbort, { once: true });
  if (signal.aborted) stopAll.abort();
  let fatal: unknown;
  try {
    await Promise.all(
      partitions.map((p) =>
        runPartition(deps, p, stopAll.signal).catch((err: unknown) => {
          log.fatal(
            {
              partition: String(p),
              code: isTickstreamError(err) ? err.code : 'INTERNAL',
              details: isTickstreamError(err) ? err.details : {},
            },
            `partition ${p} stopped: ${describeError(err)}`,
          );
          fatal ??= err;
          stopAll.abort();
        }),
      ),
    );
  } finally {
    signal.removeEventListener('abort', onAbort);
  }
  if (fatal !== undefined) throw fatal;
}
