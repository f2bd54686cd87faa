import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { isTickstreamError } from '@tickstream/shared/errors';
import {
  type Address,
  decodeEventLog,
  decodeFunctionResult,
  encodeFunctionData,
  type Hex,
  zeroAddress,
} from 'viem';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createJsonRpc } from './anvil/rpc';
import { findFreePort, startAnvil } from './anvil/start';
import type { RpcLog } from './chain/types';
import { nonfungiblePositionManagerAbi, uniswapV3FactoryAbi, uniswapV3PoolAbi } from './contracts/abi';
import { type RunningDevnet, startDevnet } from './setup/deploy';
import { cachedState } from './state/cache';
import { POOL_SPECS } from './workload/pools';
import { runWorkload, type WorkloadStats } from './workload/run';

const SEED = Number(process.env.TEST_SEED ?? 20261122);
const TRANSACTIONS = 300;
const GENESIS = 1_700_000_000;

let first: RunningDevnet;
let stats: WorkloadStats;
let logs: RpcLog[];

async function allLogs(devnet: RunningDevnet): Promise<RpcLog[]> {
  return createJsonRpc(devnet.rpcUrl).request<RpcLog[]>('eth_getLogs', [
    { fromBlock: '0x0', toBlock: 'latest' },
  ]);
}

function eventName(abi: typeof uniswapV3PoolAbi | typeof nonfungiblePositionManagerAbi, log: RpcLog): string {
  return decodeEventLog({ abi, topics: log.topics as [Hex, ...Hex[]], data: log.data }).eventName;
}

beforeAll(async () => {
  first = await startDevnet({ port: await findFreePort(), genesisTimestamp: GENESIS, signer: 'local' });
  stats = await runWorkload(first, {
    seed: SEED,
    transactions: TRANSACTIONS,
    txPerBlock: 20,
    signer: 'local',
  });
  logs = await allLogs(first);
}, 120_000);

afterAll(async () => {
  await first?.stop();
});

describe(`devnet on a real anvil (seed ${SEED})`, () => {
  it('default: deploys and runs the workload with few reverts', () => {
    expect(stats.transactions).toBe(TRANSACTIONS);
    expect(stats.reverted).toBeLessThanOrEqual(TRANSACTIONS / 100);
    expect(stats.blocks).toBeGreaterThanOrEqual(TRANSACTIONS / 20);
    expect(stats.maxGasUsed).toBeLessThan(6_000_000);
  });

  it('behavior: every pool exists in the factory, at least 5, one created mid-run', async () => {
    const rpc = createJsonRpc(first.rpcUrl);
    const bySymbol = new Map(
      [first.addresses.weth, ...first.addresses.tokens].map((t) => [t.symbol, t.address]),
    );
    const answers = await rpc.batch<Hex>(
      POOL_SPECS.map((spec) => ({
        method: 'eth_call',
        params: [
          {
            to: first.addresses.factory,
            data: encodeFunctionData({
              abi: uniswapV3FactoryAbi,
              functionName: 'getPool',
              args: [bySymbol.get(spec.a) as Address, bySymbol.get(spec.b) as Address, spec.fee],
            }),
          },
          'latest',
        ],
      })),
    );
    const pools = answers.map((data) =>
      decodeFunctionResult({ abi: uniswapV3FactoryAbi, functionName: 'getPool', data }),
    );
    expect(pools.every((p) => p !== zeroAddress)).toBe(true);
    expect(new Set(pools).size).toBeGreaterThanOrEqual(5);
    const created = logs.filter((l) => l.address === first.addresses.factory && l.topics.length === 4);
    expect(created.length).toBe(POOL_SPECS.length);
    const blocks = created.map((l) => Number(l.blockNumber));
    expect(Math.max(...blocks)).toBeGreaterThan(Math.min(...blocks) + 3); // the mid-run pool
  });

  it('behavior: logs of every kind on the pools and on the position manager', () => {
    const pools = new Set(
      logs
        .filter((l) => l.address === first.addresses.factory && l.topics.length === 4)
        .map((l) =>
          decodeEventLog({
            abi: uniswapV3FactoryAbi,
            eventName: 'PoolCreated',
            topics: l.topics as [Hex, ...Hex[]],
            data: l.data,
          }).args.pool.toLowerCase(),
        ),
    );
    const poolEvents = new Map<string, number>();
    const npmEvents = new Map<string, number>();
    for (const l of logs) {
      if (pools.has(l.address)) {
        const name = eventName(uniswapV3PoolAbi, l);
        poolEvents.set(name, (poolEvents.get(name) ?? 0) + 1);
      } else if (l.address === first.addresses.positionManager) {
        const name = eventName(nonfungiblePositionManagerAbi, l);
        npmEvents.set(name, (npmEvents.get(name) ?? 0) + 1);
      }
    }
    for (const name of [
      'Initialize',
      'Mint',
      'Burn',
      'Swap',
      'Collect',
      'Flash',
      'SetFeeProtocol',
      'CollectProtocol',
    ]) {
      expect(poolEvents.get(name) ?? 0, `pool ${name}`).toBeGreaterThan(0);
    }
    for (const name of ['IncreaseLiquidity', 'DecreaseLiquidity', 'Collect', 'Transfer']) {
      expect(npmEvents.get(name) ?? 0, `npm ${name}`).toBeGreaterThan(0);
    }
    // Zero-amount pokes (Burn of 0) happen.
    const pokes = logs.filter(
      (l) =>
        pools.has(l.address) &&
        eventName(uniswapV3PoolAbi, l) === 'Burn' &&
        decodeEventLog({
          abi: uniswapV3PoolAbi,
          eventName: 'Burn',
          topics: l.topics as [Hex, ...Hex[]],
          data: l.data,
        }).args.amount === 0n,
    );
    expect(pokes.length).toBeGreaterThan(0);
    // NFTs burned (Transfer to 0) and moved between accounts (Transfer between two non-zero addresses).
    const transfers = logs
      .filter(
        (l) =>
          l.address === first.addresses.positionManager &&
          eventName(nonfungiblePositionManagerAbi, l) === 'Transfer',
      )
      .map(
        (l) =>
          decodeEventLog({
            abi: nonfungiblePositionManagerAbi,
            eventName: 'Transfer',
            topics: l.topics as [Hex, ...Hex[]],
            data: l.data,
          }).args,
      );
    expect(transfers.some((t) => t.to === zeroAddress)).toBe(true);
    expect(transfers.some((t) => t.from !== zeroAddress && t.to !== zeroAddress)).toBe(true);
  });

  it('behavior: swaps cross initialized ticks (checked against the pool state before the block)', async () => {
    expect(stats.cross.swapsCrossing).toBeGreaterThan(0);
    const rpc = createJsonRpc(first.rpcUrl);
    // Every tick move: previous tick of the pool (from its last Swap/Initialize) → tick after the swap.
    const lastTick = new Map<string, number>();
    const moves: { pool: Address; block: bigint; from: number; to: number }[] = [];
    for (const l of logs) {
      const name = l.topics.length > 0 && l.address !== first.addresses.factory ? safeName(l) : undefined;
      if (name === 'Initialize' || name === 'Swap') {
        const ev = decodeEventLog({
          abi: uniswapV3PoolAbi,
          topics: l.topics as [Hex, ...Hex[]],
          data: l.data,
        });
        const tick = (ev.args as { tick: number }).tick;
        const prev = lastTick.get(l.address);
        if (name === 'Swap' && prev !== undefined && prev !== tick) {
          moves.push({ pool: l.address, block: BigInt(l.blockNumber), from: prev, to: tick });
        }
        lastTick.set(l.address, tick);
      }
    }
    // Read the tick bitmap before each swap's block: bits set strictly after the old tick, up to the new.
    const pools = [...new Set(moves.map((m) => m.pool))];
    const spacings = new Map(
      (
        await rpc.batch<Hex>(
          pools.map((pool) => ({
            method: 'eth_call',
            params: [
              { to: pool, data: encodeFunctionData({ abi: uniswapV3PoolAbi, functionName: 'tickSpacing' }) },
              'latest',
            ],
          })),
        )
      ).map((data, i) => [
        pools[i],
        decodeFunctionResult({ abi: uniswapV3PoolAbi, functionName: 'tickSpacing', data }),
      ]),
    );
    const words = new Map<string, { pool: Address; word: number; block: bigint }>();
    const ranges = moves.map((m) => {
      const spacing = spacings.get(m.pool) ?? 1;
      const [lo, hi] = m.from < m.to ? [m.from, m.to] : [m.to, m.from];
      const first = Math.floor(lo / spacing) + 1;
      const last = Math.floor(hi / spacing);
      for (let w = first >> 8; w <= last >> 8; w++)
        words.set(`${m.pool}:${m.block}:${w}`, { pool: m.pool, word: w, block: m.block });
      return { ...m, first, last };
    });
    const keys = [...words.keys()];
    const bitmaps = new Map<string, bigint>();
    for (let i = 0; i < keys.length; i += 500) {
      const chunk = keys.slice(i, i + 500);
      const answers = await rpc.batch<Hex>(
        chunk.map((k) => {
          const w = words.get(k) as { pool: Address; word: number; block: bigint };
          return {
            method: 'eth_call',
            params: [
              {
                to: w.pool,
                data: encodeFunctionData({
                  abi: uniswapV3PoolAbi,
                  functionName: 'tickBitmap',
                  args: [w.word],
                }),
              },
              `0x${(w.block - 1n).toString(16)}`,
            ],
          };
        }),
      );
      answers.forEach((data, n) => {
        bitmaps.set(
          chunk[n] as string,
          decodeFunctionResult({ abi: uniswapV3PoolAbi, functionName: 'tickBitmap', data }),
        );
      });
    }
    const crossing = ranges.filter((m) => {
      for (let c = m.first; c <= m.last; c++) {
        const bits = bitmaps.get(`${m.pool}:${m.block}:${c >> 8}`) ?? 0n;
        if ((bits >> BigInt(c & 255)) & 1n) return true;
      }
      return false;
    });
    const crossed = crossing.length;
    expect(crossed).toBeGreaterThan(0);
    // The model's count and the chain's agree roughly (a mint or burn earlier in the same block can differ).
    expect(Math.abs(crossed - stats.cross.swapsCrossing)).toBeLessThanOrEqual(stats.cross.swapsCrossing / 5);
    expect(crossed).toBeGreaterThan(0);
  });

  it('behavior: the same seed on a fresh anvil gives the same logs (and blocks), whoever signs', async () => {
    const second = await startDevnet({
      port: await findFreePort(),
      genesisTimestamp: GENESIS,
      signer: 'node',
    });
    try {
      const again = await runWorkload(second, {
        seed: SEED,
        transactions: TRANSACTIONS,
        txPerBlock: 20,
        signer: 'node',
      });
      expect(again.transactions).toBe(stats.transactions);
      const key = (l: RpcLog) => ({
        address: l.address,
        topics: l.topics,
        data: l.data,
        blockNumber: l.blockNumber,
        logIndex: l.logIndex,
        transactionIndex: l.transactionIndex,
        blockHash: l.blockHash,
      });
      const otherLogs = await allLogs(second);
      expect(otherLogs.length).toBe(logs.length);
      expect(otherLogs.map(key)).toEqual(logs.map(key));
    } finally {
      await second.stop();
    }
  });

  it('behavior: a cached state loads back with its logs, and the workload continues on it', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'devnet-state-'));
    try {
      const built = await cachedState({ seed: SEED, transactions: 120, txPerBlock: 30, dir });
      expect(built.built).toBe(true);
      expect((await cachedState({ seed: SEED, transactions: 120, txPerBlock: 30, dir })).built).toBe(false);
      const loaded = await startDevnet({ port: await findFreePort(), loadState: built.path });
      try {
        expect(loaded.addresses).toEqual(first.addresses);
        const loadedLogs = await allLogs(loaded);
        expect(loadedLogs.length).toBeGreaterThan(built.stats?.logs ?? Number.POSITIVE_INFINITY);
        expect(
          loadedLogs.filter((l) => l.address === loaded.addresses.positionManager).length,
        ).toBeGreaterThan(0);
        const more = await runWorkload(loaded, {
          seed: SEED + 1,
          transactions: 60,
          txPerBlock: 30,
          continueFrom: true,
        });
        expect(more.transactions).toBe(60);
        expect(more.reverted).toBe(0);
      } finally {
        await loaded.stop();
      }
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('error: a taken port fails with DEVNET_ERROR', async () => {
    const err = await startAnvil({ port: first.anvil.port }).catch((e: unknown) => e);
    expect(isTickstreamError(err, 'DEVNET_ERROR')).toBe(true);
    expect(String((err as Error).message)).toContain('is taken');
  });
});

function safeName(l: RpcLog): string | undefined {
  try {
    return decodeEventLog({ abi: uniswapV3PoolAbi, topics: l.topics as [Hex, ...Hex[]], data: l.data })
      .eventName;
  } catch {
    return undefined;
  }
}
