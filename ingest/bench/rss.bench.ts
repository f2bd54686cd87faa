/**
 * Ingest's peak RSS (VmHWM of the ingest process, as `npm start` runs it) for two history lengths:
 * the same seeded devnet workload at BENCH_RSS_TRANSACTIONS (default 150,000 transactions, the
 * bench:sync devnet, ~233k logs) and at BENCH_RSS_SHORT_TRANSACTIONS (default 36,000, bench:ingest's
 * devnet, about a quarter of the logs), each backfilled from the deploy block to the head. Bounded memory shows as about the same figure for both. Run at the end of
 * `npm run bench:ingest` (BENCH_RSS=0 skips it) or alone: `tsx ingest/bench/rss.bench.ts`.
 */
import { pathToFileURL } from 'node:url';
import { jetstreamManager } from '@nats-io/jetstream';
import { connect } from '@nats-io/transport-node';
import { cachedState, findFreePort, startDevnet } from '@tickstream/deploy/devnet';
import { measureIngestRss, type RssRun } from './rss';

const SEED = Number(process.env.BENCH_SEED ?? 7);
const TRANSACTIONS = Number(process.env.BENCH_RSS_TRANSACTIONS ?? 150_000);
const SHORT_TRANSACTIONS = Number(process.env.BENCH_RSS_SHORT_TRANSACTIONS ?? 36_000);

async function headOf(url: string): Promise<number> {
  const r = await fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'eth_blockNumber', params: [] }),
  });
  return Number.parseInt(((await r.json()) as { result: string }).result, 16);
}

/** Backfills a devnet of `transactions` transactions with an ingest process; its peak RSS. */
async function onDevnet(transactions: number): Promise<RssRun & { readonly head: number }> {
  const state = await cachedState({ seed: SEED, transactions, txPerBlock: 100 });
  const devnet = await startDevnet({ port: await findFreePort(), loadState: state.path });
  const nc = await connect({ servers: process.env.NATS_URL ?? 'nats://127.0.0.1:4222' });
  try {
    const head = await headOf(devnet.rpcUrl);
    const run = await measureIngestRss({
      jsm: await jetstreamManager(nc),
      rpcUrl: devnet.rpcUrl,
      chainId: devnet.chainId,
      factory: devnet.addresses.factory,
      positionManager: devnet.addresses.positionManager,
      fromBlock: Number(devnet.addresses.deployBlock),
      head,
    });
    return { ...run, head };
  } finally {
    await nc.close();
    await devnet.stop();
  }
}

/** Prints one line per history length; returns the peak RSS figures (MB). */
export async function benchIngestRss(): Promise<{ long: number; short: number }> {
  const out: Record<string, number> = {};
  for (const [name, transactions] of [
    ['long', TRANSACTIONS],
    ['short', SHORT_TRANSACTIONS],
  ] as const) {
    const r = await onDevnet(transactions);
    out[name] = r.peakRssMB;
    console.log(
      `ingest process RSS (${name} history, ${transactions} tx, blocks ${r.fromBlock}..${r.head}): ${r.entries} entries in ${r.seconds.toFixed(2)} s, peak RSS ${r.peakRssMB} MB (target < 500 MB), CPU ${r.cpuUsPerEntry.toFixed(1)} µs/entry`,
    );
  }
  return { long: out.long!, short: out.short! };
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) {
  console.log(JSON.stringify({ ingestPeakRssMB: await benchIngestRss() }));
}
