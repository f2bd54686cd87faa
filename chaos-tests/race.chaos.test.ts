/**
 * A reorg that lands between two of ingest's reads of the same block: ingest has the block's header
 * (by number) and asks for its logs by block hash; by the time the node answers, that hash is orphaned
 * and the node answers "unknown block", which no retry can change. Ingest should take it as "this
 * block is gone" (read the header again, reconcile), not as a flaky RPC to retry with backoff
 * (RPC_MAX_RETRIES times, ~9 s with the defaults) before restarting from the ledger tail.
 *
 * A fault proxy between ingest and the devnet holds that one eth_getLogs while the chain reorgs.
 */
import { waitFor } from '@tickstream/deploy/local';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { reorgChain } from './src/chain/reorg';
import { Cluster } from './src/harness/cluster';
import { measured, printLogsOnFailure } from './src/harness/vitest';
import { snapshotRowsAbove } from './src/oracle';
import { verify } from './src/scenario';

let cluster: Cluster;
printLogsOnFailure(() => cluster);

beforeAll(async () => {
  cluster = await Cluster.start({ name: 'race', finalityDepth: 16, historyTx: 600, rpcProxy: true });
  await cluster.waitCaughtUp();
});

afterAll(async () => {
  await cluster?.stop();
});

describe('a reorg between ingest’s header read and its logs read', () => {
  it('is handled at once: an unknown block hash means the block is gone, not an RPC failure to retry', async () => {
    const proxy = cluster.proxy!;
    const known = new Set((await cluster.reorgHistory()).map((c) => c.reorgId));
    let held = 0;
    proxy.setRule((c) => {
      const filter = c.params[0] as { blockHash?: string } | undefined;
      if (c.method === 'eth_getLogs' && filter?.blockHash !== undefined && held === 0) {
        held++;
        return { kind: 'delay', ms: 1_500 };
      }
      return { kind: 'pass' };
    });
    // One new block with logs: ingest reads its header, then its logs (held by the proxy).
    await cluster.workload(6, 6, cluster.seed + 7);
    await waitFor(() => held > 0, { timeoutMs: 30_000, what: 'ingest to ask for the new block’s logs' });
    const snapshot = await snapshotRowsAbove(cluster, (await cluster.head()).number - 1);
    const t0 = performance.now();
    const chain = await reorgChain(cluster.devnet, { depth: 1, seed: 3 });
    // Ingest never appended the orphaned block (its logs read failed), so it may need no rollback at
    // all: it only has to read the new block 35 instead. Either way, the pipeline must be at the new
    // head soon.
    const caught = await cluster.waitCaughtUp(60_000);
    const caughtMs = performance.now() - t0;
    proxy.setRule(() => ({ kind: 'pass' }));
    const reorgs = (await cluster.reorgHistory()).filter((c) => !known.has(c.reorgId));
    const retries = cluster.logs('ingest', 'rpc call failed, retrying', (l) =>
      String(l.err ?? '').includes('unknown block'),
    );
    const v = await verify(cluster, {
      before: snapshot,
      hashes: chain.orphaned.map((b) => b.hash),
      requireRows: false,
    });
    measured('reorg between header and logs reads', {
      head: caught.head.number,
      anvilReorgToCaughtUpMs: Math.round(caughtMs),
      reorgsRun: reorgs.map((c) => ({ id: c.reorgId, target: c.targetBlock, ms: c.durationMs })),
      unknownBlockRetries: retries.length,
    });
    expect(v.diffs).toEqual([]);
    expect(retries.length).toBeLessThanOrEqual(1);
    expect(caughtMs).toBeLessThan(3_000);
  });
});
