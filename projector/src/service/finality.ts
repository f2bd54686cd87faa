import { describeError, type Partition } from '@tickstream/shared';
import { confirmPartition } from '../store/finality';
import type { ProjectorDeps } from './deps';

/**
 * The finality task: every FINALITY_INTERVAL_MS, per partition this process runs at that moment
 * (`partitions()`: the set changes with the etcd assignment), marks history and event rows
 * FINALITY_DEPTH blocks below the partition's checkpoint `confirmed` (`confirmPartition`: bounded
 * UPDATEs). Runs until `signal` aborts; a failed pass is logged and tried again at the next tick. Two
 * processes confirming the same partition around a hand-over is harmless: the UPDATEs only move rows
 * from unconfirmed to confirmed below a checkpoint, which only grows between rewinds.
 *
 * @example
 * const finality = runFinality(deps, () => [0, 1, 'tokens'], controller.signal);
 */
export async function runFinality(
  deps: ProjectorDeps,
  partitions: () => readonly Partition[],
  signal: AbortSignal,
): Promise<void> {
  const { cfg, log } = deps;
  while (!signal.aborted) {
    await new Promise<void>((resolve) => {
      const timer = setTimeout(done, cfg.FINALITY_INTERVAL_MS);
      function done() {
        clearTimeout(timer);
        signal.removeEventListener('abort', done);
        resolve();
      }
      signal.addEventListener('abort', done, { once: true });
    });
    if (signal.aborted) break;
    for (const p of partitions()) {
      if (signal.aborted) break;
      try {
        const pass = await confirmPartition(deps.pg, cfg.CHAIN_ID, p, cfg.FINALITY_DEPTH);
        if (pass.rows > 0)
          log.debug(
            { partition: String(p), confirmedBlock: pass.confirmedBlock, rows: pass.rows },
            'rows confirmed',
          );
      } catch (err) {
        log.warn(
          { partition: String(p), err: describeError(err) },
          'finality pass failed; next tick tries again',
        );
      }
    }
  }
}
