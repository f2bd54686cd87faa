/**
 * `npm run bench:reorg`: how long the system takes from a reorg's rollback to every module restored,
 * for reorgs of depth 1, 12 and 64, on a ledger with ≥ 100,000 entries of history behind the
 * projector's snapshots. A rewind loads the newest snapshot at or below the target and replays the
 * ledger from there: its cost follows the entries since the snapshot, not the whole history. The bench
 * prints, for each depth, the entries the rewind had to replay next to the ledger's size and to the
 * time a full re-projection of the history took (the catch-up).
 *
 * Last line: {"depth1Ms","depth12Ms","depth64Ms"} (ROLLING_BACK start → RESTORING done, from the
 * coordinator's reorg context).
 *
 * Workload: a cached devnet state (built once and reused; BENCH_SEED, BENCH_TRANSACTIONS).
 */

import { connect } from '@nats-io/transport-node';
import type { ReorgContext } from '@tickstream/coordinator';
import { cachedState } from '@tickstream/deploy/devnet';
import { readStream } from '../../ingest/test/support/ledger';
import { reorgChain } from '../src/chain/reorg';
import { Cluster } from '../src/harness/cluster';
import { waitForNewReorg } from '../src/reorgs';

const SEED = Number(process.env.BENCH_SEED ?? 7);
const TRANSACTIONS = Number(process.env.BENCH_TRANSACTIONS ?? 72_000);
const DEPTHS = [1, 12, 64] as const;
const MIN_ENTRIES = 100_000;

function say(line: string): void {
  process.stderr.write(`bench:reorg: ${line}\n`);
}

/** ROLLING_BACK start (first rollback step) → RESTORING done (last restore step). */
function rollbackToRestoredMs(ctx: ReorgContext): number {
  const rollback = ctx.steps.find((s) => s.step === 'rollback');
  const restores = ctx.steps.filter((s) => s.step === 'restore' && s.doneAt !== undefined);
  if (rollback === undefined || restores.length === 0) return Number.NaN;
  const end = Math.max(...restores.map((s) => Date.parse(s.doneAt!)));
  return end - Date.parse(rollback.startedAt);
}

/**
 * Where a rewind to `block` starts: for each partition the newest snapshot at or below `block`
 * (`proj_snapshots`), the lowest of those; null when the projector keeps no snapshots.
 */
async function snapshotBelow(cluster: Cluster, block: number): Promise<number | null> {
  const r = await cluster.pg
    .query<{ b: string | null }>(
      `SELECT min(b) AS b FROM (
         SELECT partition, max(block_number) AS b FROM proj_snapshots
          WHERE chain_id = $1 AND block_number <= $2 GROUP BY partition) per_partition`,
      [cluster.chainId, block],
    )
    .catch(() => ({ rows: [] as { b: string | null }[] }));
  const b = r.rows[0]?.b;
  return b === null || b === undefined ? null : Number(b);
}

say(`devnet state: seed ${SEED}, ${TRANSACTIONS} transactions (built on first use)`);
const state = await cachedState({ seed: SEED, transactions: TRANSACTIONS, txPerBlock: 100 });
const cluster = await Cluster.start({
  name: 'bench',
  loadState: state.path,
  finalityDepth: 80,
  env: { BACKFILL_RANGE: '2000', LOG_LEVEL: 'warn' },
  // The projector's rewind lines (info) give its own share of the time and the entries it replayed.
  serviceEnv: { projector: { LOG_LEVEL: 'info' } },
});
const results: Record<string, number> = {};
try {
  const t0 = performance.now();
  const caught = await cluster.waitCaughtUp(1_800_000);
  const fullProjectionMs = performance.now() - t0;
  const nc = await connect({ servers: process.env.NATS_URL ?? 'nats://127.0.0.1:4222' });
  const countEntries = async () => (await readStream(nc, cluster.stream)).length;
  const total = await countEntries();
  say(
    `history: ${total} ledger entries up to block ${caught.head.number}; projected in ${Math.round(fullProjectionMs)} ms`,
  );
  if (total < MIN_ENTRIES) say(`WARNING: fewer than ${MIN_ENTRIES} entries; raise BENCH_TRANSACTIONS`);

  for (const depth of DEPTHS) {
    await cluster.workload(depth * 6, 6, SEED + depth);
    await cluster.waitCaughtUp();
    const entries = await readStream(nc, cluster.stream);
    const head = await cluster.head();
    const target = head.number - depth;
    const snapshot = await snapshotBelow(cluster, target);
    const since =
      snapshot === null
        ? null
        : entries.filter(
            (e) =>
              e.entry.kind !== 'rollback' && e.entry.blockNumber > snapshot && e.entry.blockNumber <= target,
          ).length;
    const above = entries.filter((e) => e.entry.kind !== 'rollback' && e.entry.blockNumber > target).length;
    const known = new Set((await cluster.reorgHistory()).map((c) => c.reorgId));
    const chain = await reorgChain(cluster.devnet, { depth, seed: depth });
    const done = await waitForNewReorg(cluster, known, 600_000);
    const after = await cluster.waitCaughtUp(600_000);
    const ms = rollbackToRestoredMs(done);
    results[`depth${depth}Ms`] = Math.round(ms);
    const rewound = cluster.logs('projector', /partitions rewound/, (l) => l.reorgId === done.reorgId).at(-1);
    const parts = (rewound?.partitions ?? []) as { replayed?: number; ms?: number }[];
    const replayed = parts.reduce((n, p) => n + (p.replayed ?? 0), 0);
    say(
      `depth ${depth}: target ${chain.ancestor.number}, rollback→restored ${Math.round(ms)} ms ` +
        `(reorg ${done.durationMs} ms, back at the head after ${Math.round(after.ms)} ms); ` +
        `ledger ${entries.length} entries, ${above} above the target, snapshot ${snapshot ?? 'none found'}` +
        (since === null ? '' : `, ${since} entries between the snapshot and the target`) +
        (rewound === undefined
          ? ''
          : `; the projector rewound in ${rewound.rollbackMs} ms replaying ${replayed} entries`),
    );
    const perPartition = cluster.logs(
      'projector',
      /^partition rewound$/,
      (l) => l.reorgId === done.reorgId,
    ) as {
      partition?: string;
      ms?: number;
      replay?: { entries?: number };
      phases?: Record<string, number>;
    }[];
    for (const p of perPartition)
      say(
        `depth ${depth} rewind of partition ${p.partition}: ${p.ms} ms, ${p.replay?.entries ?? 0} entries; phases (ms) ${JSON.stringify(p.phases ?? {})}`,
      );
    say(
      `depth ${depth} steps (ms): ${JSON.stringify(Object.fromEntries(done.steps.map((x) => [`${x.step} ${x.kind}`, x.doneAt === undefined ? null : Date.parse(x.doneAt) - Date.parse(x.startedAt)])))}`,
    );
  }
  await nc.close();
  say(
    `a full re-projection of the ${total} entries took ${Math.round(fullProjectionMs)} ms; ` +
      `the slowest rollback→restored took ${Math.max(...Object.values(results))} ms`,
  );
} catch (err) {
  process.stderr.write(`${cluster.report(30)}\n`);
  throw err;
} finally {
  await cluster.stop();
}
console.log(
  JSON.stringify({ depth1Ms: results.depth1Ms, depth12Ms: results.depth12Ms, depth64Ms: results.depth64Ms }),
);
process.exit(0);
