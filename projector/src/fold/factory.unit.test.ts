import { isTickstreamError } from '@tickstream/shared/errors';
import { describe, expect, it } from 'vitest';
import { createFactoryState, evolveFactory } from './factory';
import { ev, FACTORY, POOL, TOKEN0, TOKEN1 } from './test-fixtures';

const enable = (fee: number, tickSpacing: number) => ev('FeeAmountEnabled', { fee, tickSpacing }, FACTORY);
const created = (token0 = TOKEN0, token1 = TOKEN1, fee = 3000, tickSpacing = 60) =>
  ev('PoolCreated', { token0, token1, fee, tickSpacing, pool: POOL }, FACTORY);

describe('FeeAmountEnabled', () => {
  it('records the tier', () => {
    const state = evolveFactory(createFactoryState(), enable(3000, 60));
    expect(state.feeAmountTickSpacing).toEqual(new Map([[3000, 60]]));
  });

  it('error: enabled twice or out of range', () => {
    const state = evolveFactory(createFactoryState(), enable(3000, 60));
    expect(() => evolveFactory(state, enable(3000, 10))).toThrow(/cannot enable/);
    expect(() => evolveFactory(state, enable(1_000_000, 10))).toThrow(/cannot enable/);
    expect(() => evolveFactory(state, enable(100, 16384))).toThrow(/cannot enable/);
  });
});

describe('PoolCreated', () => {
  it('records the pool by lowercased address', () => {
    const state = evolveFactory(evolveFactory(createFactoryState(), enable(3000, 60)), created());
    expect(state.pools.get(POOL)).toEqual({ token0: TOKEN0, token1: TOKEN1, fee: 3000, tickSpacing: 60 });
  });

  it('a tier not seen (fold started after the factory was deployed) is accepted', () => {
    const state = evolveFactory(createFactoryState(), created(TOKEN0, TOKEN1, 500, 10));
    expect(state.pools.size).toBe(1);
  });

  it('error: a spacing that differs from the tier, unsorted tokens, created twice', () => {
    const state = evolveFactory(createFactoryState(), enable(3000, 60));
    let thrown: unknown;
    try {
      evolveFactory(state, created(TOKEN0, TOKEN1, 3000, 10));
    } catch (err) {
      thrown = err;
    }
    expect(isTickstreamError(thrown, 'PROJECTION_INVARIANT')).toBe(true);
    expect(() => evolveFactory(state, created(TOKEN1, TOKEN0))).toThrow(/not sorted/);
    evolveFactory(state, created());
    expect(() => evolveFactory(state, created())).toThrow(/already exists/);
  });
});
