/**
 * Devnet CLI: starts anvil, deploys Uniswap V3, runs the seeded workload, prints one JSON line (RPC URLs,
 * chain id, addresses, workload stats), then keeps anvil serving until SIGINT/SIGTERM, optionally with
 * live traffic. With --exit it stops right after the line (writing --dump-state if given).
 *
 *   npx tsx deploy/devnet/main.ts --seed 42 --transactions 3000 [--tx-per-block 100] [--port 8545]
 *     [--dump-state path] [--load-state path] [--live-tps 20] [--exit]
 *   npx tsx deploy/devnet/main.ts --cached --seed 1 --transactions 50000   # build or reuse a state file
 */

import { rename, rm } from 'node:fs/promises';
import { parseArgs } from 'node:util';
import { describeError, TickstreamError } from '@tickstream/shared/errors';
import { createLogger } from '@tickstream/shared/log';
import { startDevnet } from './setup/deploy';
import { CACHED_GENESIS_TIMESTAMP, cachedState } from './state/cache';
import { stripTraces } from './state/strip';
import { runWorkload, runWorkloadForever, type WorkloadStats } from './workload/run';

const log = createLogger('devnet');

function int(name: string, value: string | undefined, fallback: number): number {
  if (value === undefined) return fallback;
  const n = Number(value);
  if (!Number.isInteger(n) || n < 0)
    throw new TickstreamError('CONFIG_INVALID', `--${name} must be a non-negative integer, not ${value}`);
  return n;
}

function line(value: unknown): void {
  process.stdout.write(`${JSON.stringify(value, (_, v) => (typeof v === 'bigint' ? v.toString() : v))}\n`);
}

function brief(stats: WorkloadStats | undefined): Record<string, unknown> | undefined {
  if (stats === undefined) return undefined;
  const {
    transactions,
    reverted,
    blocks,
    logs,
    poolLogs,
    txPerSecond,
    logsPerSecond,
    poolLogsPerSecond,
    events,
    cross,
  } = stats;
  return {
    transactions,
    reverted,
    blocks,
    logs,
    poolLogs,
    txPerSecond,
    logsPerSecond,
    poolLogsPerSecond,
    events,
    cross,
  };
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      seed: { type: 'string' },
      transactions: { type: 'string' },
      'tx-per-block': { type: 'string' },
      port: { type: 'string' },
      'dump-state': { type: 'string' },
      'load-state': { type: 'string' },
      'live-tps': { type: 'string' },
      cached: { type: 'boolean' },
      exit: { type: 'boolean' },
    },
    strict: true,
  });
  const seed = int('seed', values.seed, 1);
  const transactions = int('transactions', values.transactions, 3000);
  const txPerBlock = int('tx-per-block', values['tx-per-block'], 100);

  if (values.cached === true) {
    const state = await cachedState({ seed, transactions, txPerBlock });
    line({ statePath: state.path, built: state.built, stats: brief(state.stats) });
    return;
  }

  const dumpState = values['dump-state'];
  const loadState = values['load-state'];
  const devnet = await startDevnet({
    port: int('port', values.port, 8545),
    genesisTimestamp: CACHED_GENESIS_TIMESTAMP,
    ...(dumpState === undefined ? {} : { dumpState: `${dumpState}.raw` }),
    ...(loadState === undefined ? {} : { loadState }),
  });
  const stop = new AbortController();
  process.once('SIGINT', () => stop.abort());
  process.once('SIGTERM', () => stop.abort());
  let live: Promise<WorkloadStats> | undefined;
  try {
    const stats =
      transactions > 0
        ? await runWorkload(devnet, { seed, transactions, txPerBlock, signal: stop.signal })
        : undefined;
    line({
      rpcUrl: devnet.rpcUrl,
      wsUrl: devnet.wsUrl,
      chainId: devnet.chainId,
      addresses: devnet.addresses,
      workload: brief(stats),
    });
    if (values.exit !== true && !stop.signal.aborted) {
      const tps = int('live-tps', values['live-tps'], 0);
      if (tps > 0)
        live = runWorkloadForever(devnet, { seed: seed + 1, txPerSecond: tps, signal: stop.signal });
      await new Promise((resolve) => stop.signal.addEventListener('abort', resolve, { once: true }));
      await live;
    }
  } finally {
    await devnet.stop();
  }
  if (dumpState !== undefined) {
    await stripTraces(`${dumpState}.raw`, `${dumpState}.tmp`);
    await rm(`${dumpState}.raw`);
    await rename(`${dumpState}.tmp`, dumpState);
    log.info({ dumpState }, 'state written');
  }
}

main().catch((err: unknown) => {
  log.error({ err: describeError(err) }, 'devnet failed');
  process.exitCode = 1;
});
