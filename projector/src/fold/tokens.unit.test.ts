import { describe, expect, it } from 'vitest';
import type { Hex } from './events';
import { ALICE, BOB, ev, expectInvariant, MANAGER, POOL } from './test-fixtures';
import { createTokenState, evolveTokens, type MintContext, takeTokenChanges } from './tokens';

const ZERO: Hex = '0x0000000000000000000000000000000000000000';
const CONTEXT: MintContext = { pool: POOL, tickLower: -60, tickUpper: 60 };

const transfer = (from: Hex, to: Hex, tokenId = 1n) => ev('Transfer', { from, to, tokenId }, MANAGER);
const increase = (liquidity: bigint, tokenId = 1n) =>
  ev('IncreaseLiquidity', { tokenId, liquidity, amount0: 1n, amount1: 1n }, MANAGER);
const decrease = (liquidity: bigint, tokenId = 1n) =>
  ev('DecreaseLiquidity', { tokenId, liquidity, amount0: 1n, amount1: 1n }, MANAGER);

/** Given: token 1 minted to Alice with 1000 liquidity in POOL [-60, 60]. */
function minted() {
  const state = createTokenState();
  evolveTokens(state, transfer(ZERO, ALICE));
  evolveTokens(state, increase(1000n), CONTEXT);
  takeTokenChanges(state);
  return state;
}

describe('IncreaseLiquidity', () => {
  it('a new token learns pool and range from the pool Mint of the same transaction', () => {
    const state = createTokenState();
    evolveTokens(state, transfer(ZERO, ALICE));
    expect(state.tokens.get(1n)).toEqual({
      owner: ALICE,
      pool: null,
      tickLower: 0,
      tickUpper: 0,
      liquidity: 0n,
    });
    evolveTokens(state, increase(1000n), CONTEXT);
    expect(state.tokens.get(1n)).toEqual({
      owner: ALICE,
      pool: POOL,
      tickLower: -60,
      tickUpper: 60,
      liquidity: 1000n,
    });
    expect(takeTokenChanges(state)).toEqual(new Set([1n]));
  });

  it('a later increase needs no context; a context given must match', () => {
    const state = minted();
    evolveTokens(state, increase(500n));
    expect(state.tokens.get(1n)?.liquidity).toBe(1500n);
    expectInvariant(
      state,
      () => evolveTokens(state, increase(1n), { ...CONTEXT, tickUpper: 120 }),
      /pool Mint/,
    );
  });

  it('error: a new token without its pool Mint, or an unknown token', () => {
    const state = createTokenState();
    evolveTokens(state, transfer(ZERO, ALICE));
    expectInvariant(state, () => evolveTokens(state, increase(1n)), /without its pool Mint/);
    expectInvariant(state, () => evolveTokens(state, increase(1n, 2n), CONTEXT), /does not exist/);
  });
});

describe('DecreaseLiquidity', () => {
  it('subtracts', () => {
    const state = minted();
    evolveTokens(state, decrease(400n));
    expect(state.tokens.get(1n)?.liquidity).toBe(600n);
  });

  it('error: more than the token holds', () => {
    const state = minted();
    expectInvariant(state, () => evolveTokens(state, decrease(1001n)), /removes 1001 of 1000/);
  });
});

describe('ManagerCollect', () => {
  it('changes nothing projected, but the token must exist', () => {
    const state = minted();
    evolveTokens(
      state,
      ev('ManagerCollect', { tokenId: 1n, recipient: BOB, amount0: 5n, amount1: 0n }, MANAGER),
    );
    expect(takeTokenChanges(state).size).toBe(0);
    const unknown = ev('ManagerCollect', { tokenId: 9n, recipient: BOB, amount0: 0n, amount1: 0n }, MANAGER);
    expectInvariant(state, () => evolveTokens(state, unknown), /does not exist/);
  });
});

describe('Transfer', () => {
  it('moves the token to its new owner', () => {
    const state = minted();
    evolveTokens(state, transfer(ALICE, BOB));
    expect(state.tokens.get(1n)?.owner).toBe(BOB);
    expect(takeTokenChanges(state)).toEqual(new Set([1n]));
  });

  it('to the zero address burns a token without liquidity', () => {
    const state = minted();
    evolveTokens(state, decrease(1000n));
    evolveTokens(state, transfer(ALICE, ZERO));
    expect(state.tokens.has(1n)).toBe(false);
    expect(takeTokenChanges(state)).toEqual(new Set([1n]));
  });

  it('error: from someone who does not own it, burning with liquidity, minting twice', () => {
    const state = minted();
    expectInvariant(state, () => evolveTokens(state, transfer(BOB, ALICE)), /owned by/);
    expectInvariant(state, () => evolveTokens(state, transfer(ALICE, ZERO)), /burned with liquidity/);
    expectInvariant(state, () => evolveTokens(state, transfer(ZERO, BOB)), /minted twice/);
  });
});
