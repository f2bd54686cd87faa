import { describe, expect, it } from 'vitest';
import { ALICE, ev, MANAGER, POOL } from '../fold/test-fixtures';
import { accumulate, createBatch } from './accumulate';
import { applyBlock } from './apply-block';
import { createPartitionModel, type PartitionModel, type PoolPartitionModel } from './model';
import { cloneModel, decodeSnapshot, encodeSnapshot } from './snapshot';
import { poolScenario, sealedBlock } from './test-ledger';

/** A model with its `dirty` records and derived fields, as plain data for deep comparison. */
function plain(model: PartitionModel): unknown {
  return JSON.parse(
    JSON.stringify(model, (_k, v) =>
      typeof v === 'bigint' ? `${v}n` : v instanceof Map ? [...v] : v instanceof Set ? [...v] : v,
    ),
  );
}

describe('encodeSnapshot / decodeSnapshot', () => {
  it('default: a pool partition comes back equal: state, ticks, bitmap, positions, factory, last-change blocks', () => {
    const model = createPartitionModel(31337, 0) as PoolPartitionModel;
    const { blocks } = poolScenario();
    for (const b of blocks.slice(0, 2)) applyBlock(model, b);
    model.factory.feeAmountTickSpacing.set(3000, 60);
    const back = decodeSnapshot(31337, 0, encodeSnapshot(model)) as PoolPartitionModel;
    expect(plain(back)).toEqual(plain(model));
    expect(back.pools.get(POOL)).toMatchObject({ createdBlock: 10, block: { number: 11 } });
  });

  it('behavior: folding on from a decoded snapshot gives the same rows as folding on from the original', () => {
    const { blocks } = poolScenario();
    const original = createPartitionModel(31337, 0);
    applyBlock(original, blocks[0]!);
    const restored = decodeSnapshot(31337, 0, encodeSnapshot(original));
    const a = accumulate(createBatch(31337, 0), applyBlock(original, blocks[1]!));
    const b = accumulate(createBatch(31337, 0), applyBlock(restored, blocks[1]!));
    accumulate(a, applyBlock(original, blocks[2]!));
    accumulate(b, applyBlock(restored, blocks[2]!));
    expect(b).toEqual(a);
    expect(plain(restored)).toEqual(plain(original));
  });

  it('default: the tokens partition keeps its live tokens and their blocks', () => {
    const model = createPartitionModel(31337, 'tokens');
    const context = { pool: POOL, tickLower: -60, tickUpper: 60 };
    const zero = '0x0000000000000000000000000000000000000000' as const;
    applyBlock(
      model,
      sealedBlock('tokens', 10, 5, [
        ev('Transfer', { from: zero, to: ALICE, tokenId: 7n }, MANAGER),
        [
          ev('IncreaseLiquidity', { tokenId: 7n, liquidity: 1000n, amount0: 1n, amount1: 2n }, MANAGER),
          context,
        ],
      ]),
    );
    const back = decodeSnapshot(31337, 'tokens', encodeSnapshot(model));
    expect(plain(back)).toEqual(plain(model));
  });

  it('behavior: encoding again after folding on gives the new values (rows formatted before are re-checked)', () => {
    const { blocks } = poolScenario();
    const model = createPartitionModel(31337, 0);
    const fresh = createPartitionModel(31337, 0);
    for (const b of blocks) {
      applyBlock(model, b);
      applyBlock(fresh, b);
      const text = encodeSnapshot(model); // rows memoized by the previous blocks' encodings
      expect(text).toBe(encodeSnapshot(cloneModel(fresh))); // nothing memoized for the copy's rows
      expect(JSON.stringify(JSON.parse(text))).toBe(text); // plain JSON, as JSON.stringify writes it
      expect(plain(decodeSnapshot(31337, 0, text))).toEqual(plain(model));
    }
  });

  it('error: a snapshot of the other kind of partition is refused', () => {
    const text = encodeSnapshot(createPartitionModel(31337, 'tokens'));
    expect(() => decodeSnapshot(31337, 0, text)).toThrow(/not for this partition/);
  });

  it('behavior: cloneModel copies deep enough that folding into the original leaves the copy as it was', () => {
    const { blocks } = poolScenario();
    const model = createPartitionModel(31337, 0);
    applyBlock(model, blocks[0]!);
    const copy = cloneModel(model);
    const before = plain(copy);
    expect(before).toEqual(plain(model));
    applyBlock(model, blocks[1]!);
    applyBlock(model, blocks[2]!);
    expect(plain(copy)).toEqual(before);
    // and the copy folds on exactly like the original did
    const a = accumulate(createBatch(31337, 0), applyBlock(copy, blocks[1]!));
    expect(a.pools.get(POOL)?.block.number).toBe(11);
    applyBlock(copy, blocks[2]!);
    expect(plain(copy)).toEqual(plain(model));
  });
});
