import type { ReorgContext } from '@tickstream/coordinator';
import type { Cluster } from './harness/cluster';

/*
 * Waiting on the coordinator's reorgs. Kept apart from the oracle (whose ingest support imports
 * vitest's expect), so that the reorg bench, which runs outside vitest, can use it.
 */

/** Waits until a reorg not in `known` is in history (DONE). */
export async function waitForNewReorg(
  cluster: Cluster,
  known: ReadonlySet<string>,
  timeoutMs: number,
): Promise<ReorgContext> {
  const { waitFor } = await import('@tickstream/deploy/local');
  let phase = '';
  try {
    return await waitFor(
      async () => {
        const cur = await cluster.currentReorg();
        if (cur !== null) phase = `${cur.reorgId} ${cur.phase}`;
        return (await cluster.reorgHistory()).find((c) => !known.has(c.reorgId));
      },
      { timeoutMs, what: 'a new reorg DONE', maxIntervalMs: 50 },
    );
  } catch (err) {
    throw new Error(`${(err as Error).message}; last phase seen: ${phase || 'none'}`);
  }
}
