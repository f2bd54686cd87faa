import { factoryEventsAbi, isTickstreamError } from '@tickstream/shared';
import { encodeEventTopics } from 'viem';
import { describe, expect, it } from 'vitest';
import type { Hex } from '../fold';
import { ALICE, BOB, ev, FACTORY, MANAGER, POOL, TOKEN0, TOKEN1 } from '../fold/test-fixtures';
import { E18, Q96 } from '../math/test-reference';
import { accumulate, createBatch } from './accumulate';
import { applyBlock } from './apply-block';
import { createPartitionModel, type PoolPartitionModel } from './model';
import { blockHash, logEntryOf, poolScenario, sealedBlock } from './test-ledger';

const ZERO: Hex = '0x0000000000000000000000000000000000000000';

describe('applyBlock (pool partition)', () => {
  it('default: PoolCreated creates the pool; rows carry the block; events are filed under the pool', () => {
    const model = createPartitionModel(31337, 0) as PoolPartitionModel;
    const { blocks } = poolScenario();
    const changes = applyBlock(model, blocks[0]!);
    expect(model.pools.has(POOL)).toBe(true);
    expect(changes).toMatchObject({
      seq: 100,
      logs: 3,
      skipped: 0,
      block: { number: 10, hash: blockHash(10) },
    });
    expect(changes.pools).toEqual([
      expect.objectContaining({
        address: POOL,
        createdBlock: 10,
        tick: 0,
        sqrtPriceX96: Q96,
        liquidity: E18,
      }),
    ]);
    expect(changes.ticks.map((t) => [t.tick, t.liquidityGross, t.cleared])).toEqual([
      [-60, E18, false],
      [60, E18, false],
    ]);
    expect(changes.positions).toEqual([expect.objectContaining({ owner: ALICE, liquidity: E18 })]);
    expect(changes.events.map((e) => [e.type, e.address, e.logIndex])).toEqual([
      ['PoolCreated', POOL, 0],
      ['Initialize', POOL, 1],
      ['Mint', POOL, 2],
    ]);
    expect(JSON.parse(changes.events[0]!.args)).toEqual({
      token0: TOKEN0,
      token1: TOKEN1,
      fee: 3000,
      tickSpacing: 60,
      pool: POOL,
    });
    expect(JSON.parse(changes.events[2]!.args)).toMatchObject({ amount: E18.toString(), tickLower: -60 });
  });

  it('behavior: a cleared tick is a zero row; the batch keeps the last value per key and every block in history', () => {
    const model = createPartitionModel(31337, 0);
    const { blocks, shadow } = poolScenario();
    const batch = createBatch(31337, 0);
    for (const b of blocks) accumulate(batch, applyBlock(model, b));
    expect(batch).toMatchObject({ seq: 120, blocks: 3, logs: 5, block: { number: 12 } });
    expect(batch.tickHistory.map((t) => [t.block.number, t.tick, t.liquidityGross, t.cleared])).toEqual([
      [10, -60, E18, false],
      [10, 60, E18, false],
      [11, -60, 0n, true],
      [11, 60, 0n, true],
      [12, -120, E18 / 2n, false],
      [12, 60, E18 / 2n, false],
    ]);
    expect([...batch.ticks.values()].map((t) => [t.tick, t.cleared, t.block.number])).toEqual([
      [-60, true, 11],
      [60, false, 12],
      [-120, false, 12],
    ]);
    expect(batch.poolHistory.map((p) => [p.block.number, p.liquidity])).toEqual([
      [10, E18],
      [11, 0n],
      [12, E18 / 2n],
    ]);
    expect(batch.pools.get(POOL)).toMatchObject({ liquidity: shadow.liquidity, block: { number: 12 } });
    expect(batch.positionHistory).toHaveLength(3);
    expect(batch.positions.size).toBe(2);
    expect(batch.events).toHaveLength(5);
  });

  it('behavior: logs the projector does not fold are skipped and counted', () => {
    const model = createPartitionModel(31337, 0);
    const { blocks } = poolScenario();
    const owner = logEntryOf(ev('Initialize', { sqrtPriceX96: Q96, tick: 0 }, FACTORY), 0, 10, 3);
    const ownerChanged = {
      ...owner,
      topics: encodeEventTopics({
        abi: factoryEventsAbi,
        eventName: 'OwnerChanged',
        args: { oldOwner: ALICE, newOwner: BOB },
      }) as Hex[],
      data: '0x' as const,
    };
    const block = blocks[0]!;
    const changes = applyBlock(model, { ...block, logs: [...block.logs, ownerChanged] });
    expect(changes).toMatchObject({ logs: 4, skipped: 1 });
    expect(changes.events).toHaveLength(3);
  });

  it('error: an event of a pool this partition does not know throws PROJECTION_INVARIANT', () => {
    const model = createPartitionModel(31337, 0);
    const stray = sealedBlock(0, 10, 100, [ev('Initialize', { sqrtPriceX96: Q96, tick: 0 })]);
    try {
      applyBlock(model, stray);
      expect.unreachable();
    } catch (err) {
      expect(isTickstreamError(err, 'PROJECTION_INVARIANT')).toBe(true);
      expect((err as Error).message).toMatch(/no pool of partition 0 has this address/);
    }
  });
});

describe('applyBlock (tokens partition)', () => {
  const context = { pool: POOL, tickLower: -60, tickUpper: 60 };
  const transfer = (from: Hex, to: Hex) => ev('Transfer', { from, to, tokenId: 7n }, MANAGER);
  const increase = ev(
    'IncreaseLiquidity',
    { tokenId: 7n, liquidity: 1000n, amount0: 1n, amount1: 2n },
    MANAGER,
  );
  const decrease = ev(
    'DecreaseLiquidity',
    { tokenId: 7n, liquidity: 1000n, amount0: 1n, amount1: 2n },
    MANAGER,
  );
  const collect = ev('ManagerCollect', { tokenId: 7n, recipient: ALICE, amount0: 1n, amount1: 2n }, MANAGER);

  it('default: mint, transfer, burn; a burned token keeps its owner and range with zero liquidity', () => {
    const model = createPartitionModel(31337, 'tokens');
    const minted = applyBlock(
      model,
      sealedBlock('tokens', 10, 5, [transfer(ZERO, ALICE), [increase, context]]),
    );
    expect(minted.nfts).toEqual([
      expect.objectContaining({
        tokenId: 7n,
        owner: ALICE,
        pool: POOL,
        tickLower: -60,
        liquidity: 1000n,
        burned: false,
      }),
    ]);
    // The mint Transfer comes before the pool is known; it is still filed under the pool.
    expect(minted.events.map((e) => [e.type, e.address])).toEqual([
      ['Transfer', POOL],
      ['IncreaseLiquidity', POOL],
    ]);
    const moved = applyBlock(model, sealedBlock('tokens', 11, 6, [transfer(ALICE, BOB)]));
    expect(moved.nfts[0]).toMatchObject({ owner: BOB, burned: false });
    const burned = applyBlock(
      model,
      sealedBlock('tokens', 12, 7, [[decrease, context], [collect, context], transfer(BOB, ZERO)]),
    );
    expect(burned.nfts).toEqual([
      expect.objectContaining({
        tokenId: 7n,
        owner: BOB,
        pool: POOL,
        tickUpper: 60,
        liquidity: 0n,
        burned: true,
      }),
    ]);
    expect(burned.events.map((e) => [e.type, e.address])).toEqual([
      ['DecreaseLiquidity', POOL],
      ['ManagerCollect', POOL],
      ['Transfer', POOL],
    ]);
    expect(JSON.parse(burned.events[2]!.args)).toEqual({ from: BOB, to: ZERO, tokenId: '7' });
  });

  it('error: a pool event in the tokens partition throws PROJECTION_INVARIANT', () => {
    const model = createPartitionModel(31337, 'tokens');
    expect(() =>
      applyBlock(model, sealedBlock('tokens', 10, 5, [ev('Initialize', { sqrtPriceX96: Q96, tick: 0 })])),
    ).toThrow(/pool or factory event in the tokens partition/);
  });
});
