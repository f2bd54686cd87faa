import type pg from 'pg';
import { insert } from './database';

/**
 * A small projected chain, as the projector would have written it, with values above 2^53 and
 * orphaned rows of a fork 'b' at block 112 that must never be served.
 *
 * Checkpoints: partition '0' at 120, '1' at 118, 'tokens' at 119.
 * P1 (partition '0', created 100): Initialize 105, Mint 108, Swaps 110 and 112, Burn 115.
 * P2 (partition '1', created 101): never initialized; one log at 113.
 * 23 more pools, for pagination.
 */

/** A block hash: canonical fork 'a' unless told. */
export const h = (n: number, fork: 'a' | 'b' = 'a') => `0x${fork}${n.toString(16).padStart(63, '0')}`;
export const tx = (n: number, i: number) =>
  `0x${'f'.repeat(56)}${(n * 100 + i).toString(16).padStart(8, '0')}`;

export const P1 = `0x${'11'.repeat(20)}`;
export const P2 = `0x${'22'.repeat(20)}`;
export const TOKEN0 = `0x${'aa'.repeat(20)}`;
export const TOKEN1 = `0x${'bb'.repeat(20)}`;
export const ALICE = `0x${'cc'.repeat(20)}`;
export const BOB = `0x${'dd'.repeat(20)}`;
export const CAROL = `0x${'ee'.repeat(20)}`;
export const OTHER_POOLS = Array.from(
  { length: 23 },
  (_, i) => `0x${(i + 0x30).toString(16)}${'0'.repeat(38)}`,
);

export const MAX_SQRT_RATIO_MINUS_1 = '1461446703485210103287273052203988822378723970341';
export const U128_MAX = ((1n << 128n) - 1n).toString();
export const U256_MAX = ((1n << 256n) - 1n).toString();
export const Q128 = (1n << 128n).toString();
const S105 = '79228162514264337593543950336';
const S110 = '79307426338960776842885539845';
const S112 = '79466191966197645195421774833';

export const CHECKPOINTS = { '0': 120, '1': 118, tokens: 119 } as const;

const poolState = (sqrt: string, tick: number | null, liquidity: string, fg0: string, fg1: string) => ({
  sqrt_price_x96: sqrt,
  tick,
  liquidity,
  fee_growth_global0_x128: fg0,
  fee_growth_global1_x128: fg1,
});

export async function seed(db: pg.Pool, chainId: number): Promise<void> {
  const c = { chain_id: chainId };
  await insert(
    db,
    'proj_checkpoints',
    Object.entries(CHECKPOINTS).map(([partition, n]) => ({
      ...c,
      partition,
      stream_seq: n * 10,
      block_number: n,
      block_hash: h(n),
    })),
  );

  await insert(db, 'pools', [
    {
      ...c,
      address: P1,
      partition: '0',
      token0: TOKEN0,
      token1: TOKEN1,
      fee: 3000,
      tick_spacing: 60,
      created_block: 100,
      ...poolState(MAX_SQRT_RATIO_MINUS_1, 887271, U128_MAX, U256_MAX, '12345'),
      protocol_fees_token0: '7',
      protocol_fees_token1: Q128,
      fee_protocol: 68,
      block_number: 115,
      block_hash: h(115),
    },
    {
      ...c,
      address: P2,
      partition: '1',
      token0: TOKEN0,
      token1: CAROL,
      fee: 500,
      tick_spacing: 10,
      created_block: 101,
      tick: null,
      block_number: 101,
      block_hash: h(101),
    },
    ...OTHER_POOLS.map((address, i) => ({
      ...c,
      address,
      partition: String(i % 2),
      token0: TOKEN0,
      token1: TOKEN1,
      fee: 100,
      tick_spacing: 1,
      created_block: 102,
      tick: null,
      block_number: 102,
      block_hash: h(102),
    })),
  ]);

  const fees = { protocol_fees_token0: '0', protocol_fees_token1: '0', fee_protocol: 0 };
  await insert(db, 'pool_history', [
    {
      ...c,
      address: P1,
      block_number: 105,
      block_hash: h(105),
      ...poolState(S105, 0, '0', '0', '0'),
      ...fees,
      status: 'confirmed',
    },
    {
      ...c,
      address: P1,
      block_number: 110,
      block_hash: h(110),
      ...poolState(S110, 20, '1000', Q128, '0'),
      ...fees,
      status: 'confirmed',
    },
    {
      ...c,
      address: P1,
      block_number: 112,
      block_hash: h(112, 'b'),
      ...poolState('999', 99, '1', '1', '1'),
      ...fees,
      status: 'orphaned',
    },
    {
      ...c,
      address: P1,
      block_number: 112,
      block_hash: h(112),
      ...poolState(S112, 60, '1000', Q128, '5'),
      ...fees,
      status: 'unconfirmed',
    },
    {
      ...c,
      address: P1,
      block_number: 115,
      block_hash: h(115),
      ...poolState(MAX_SQRT_RATIO_MINUS_1, 887271, U128_MAX, U256_MAX, '12345'),
      protocol_fees_token0: '7',
      protocol_fees_token1: Q128,
      fee_protocol: 68,
      status: 'unconfirmed',
    },
  ]);

  const tick = (t: number, gross: string, net: string, fo0: string, fo1: string) => ({
    tick: t,
    liquidity_gross: gross,
    liquidity_net: net,
    fee_growth_outside0_x128: fo0,
    fee_growth_outside1_x128: fo1,
  });
  await insert(db, 'ticks', [
    { ...c, pool: P1, ...tick(-60, '1000', '1000', U256_MAX, '1'), block_number: 112 },
    { ...c, pool: P1, ...tick(60, '1000', '-1000', '0', '0'), block_number: 108 },
    // A cleared tick the projector left in the latest table: never served.
    { ...c, pool: P1, ...tick(120, '0', '0', '0', '0'), block_number: 110 },
  ]);
  await insert(db, 'tick_history', [
    {
      ...c,
      pool: P1,
      block_number: 108,
      block_hash: h(108),
      ...tick(-60, '1000', '1000', '0', '0'),
      status: 'confirmed',
    },
    {
      ...c,
      pool: P1,
      block_number: 108,
      block_hash: h(108),
      ...tick(60, '1000', '-1000', '0', '0'),
      status: 'confirmed',
    },
    {
      ...c,
      pool: P1,
      block_number: 108,
      block_hash: h(108),
      ...tick(120, '500', '-500', '0', '0'),
      status: 'confirmed',
    },
    {
      ...c,
      pool: P1,
      block_number: 110,
      block_hash: h(110),
      ...tick(120, '0', '0', '0', '0'),
      status: 'confirmed',
    },
    {
      ...c,
      pool: P1,
      block_number: 112,
      block_hash: h(112, 'b'),
      ...tick(-120, '7', '7', '0', '0'),
      status: 'orphaned',
    },
    {
      ...c,
      pool: P1,
      block_number: 112,
      block_hash: h(112),
      ...tick(-60, '1000', '1000', U256_MAX, '1'),
      status: 'unconfirmed',
    },
  ]);

  const position = (
    owner: string,
    lower: number,
    upper: number,
    liquidity: string,
    owed0: string,
    owed1: string,
  ) => ({
    owner,
    tick_lower: lower,
    tick_upper: upper,
    liquidity,
    fee_growth_inside0_last_x128: Q128,
    fee_growth_inside1_last_x128: '0',
    tokens_owed0: owed0,
    tokens_owed1: owed1,
  });
  await insert(db, 'positions', [
    { ...c, pool: P1, ...position(ALICE, -60, 60, '0', '5', '6'), block_number: 115 },
    { ...c, pool: P1, ...position(CAROL, 60, 120, U128_MAX, '0', '0'), block_number: 110 },
  ]);
  await insert(db, 'position_history', [
    {
      ...c,
      pool: P1,
      block_number: 108,
      block_hash: h(108),
      ...position(ALICE, -60, 60, '1000', '0', '0'),
      status: 'confirmed',
    },
    {
      ...c,
      pool: P1,
      block_number: 110,
      block_hash: h(110),
      ...position(CAROL, 60, 120, U128_MAX, '0', '0'),
      status: 'confirmed',
    },
    {
      ...c,
      pool: P1,
      block_number: 112,
      block_hash: h(112, 'b'),
      ...position(BOB, -120, 120, '9', '0', '0'),
      status: 'orphaned',
    },
    {
      ...c,
      pool: P1,
      block_number: 115,
      block_hash: h(115),
      ...position(ALICE, -60, 60, '0', '5', '6'),
      status: 'unconfirmed',
    },
  ]);

  await insert(db, 'nft_positions', [
    {
      ...c,
      token_id: '1',
      owner: ALICE,
      pool: P1,
      tick_lower: -60,
      tick_upper: 60,
      liquidity: '1000',
      burned: false,
      block_number: 108,
    },
    {
      ...c,
      token_id: U256_MAX,
      owner: BOB,
      pool: null,
      tick_lower: null,
      tick_upper: null,
      liquidity: '0',
      burned: true,
      block_number: 109,
    },
  ]);

  await insert(
    db,
    'events',
    EVENTS.map(({ address, n, fork, txIndex, logIndex, type, args, status }) => ({
      ...c,
      address,
      block_number: n,
      block_hash: h(n, fork),
      tx_index: txIndex,
      log_index: logIndex,
      tx_hash: tx(n, logIndex),
      type,
      args: JSON.stringify(args),
      status,
    })),
  );
}

interface FixtureEvent {
  address: string;
  n: number;
  fork: 'a' | 'b';
  txIndex: number;
  logIndex: number;
  type: string;
  args: Record<string, unknown>;
  status: 'confirmed' | 'unconfirmed' | 'orphaned';
}

const ev = (
  address: string,
  n: number,
  logIndex: number,
  type: string,
  args: Record<string, unknown>,
  status: FixtureEvent['status'] = 'confirmed',
  fork: 'a' | 'b' = 'a',
): FixtureEvent => ({ address, n, fork, txIndex: logIndex, logIndex, type, args, status });

export const EVENTS: readonly FixtureEvent[] = [
  ev(P1, 100, 0, 'PoolCreated', { token0: TOKEN0, token1: TOKEN1, fee: 3000, tickSpacing: 60, pool: P1 }),
  ev(P1, 105, 1, 'Initialize', { sqrtPriceX96: S105, tick: 0 }),
  ev(P1, 108, 0, 'Mint', {
    sender: ALICE,
    owner: ALICE,
    tickLower: -60,
    tickUpper: 60,
    amount: '1000',
    amount0: '3',
    amount1: '3',
  }),
  ev(P1, 110, 2, 'Swap', {
    sender: BOB,
    recipient: BOB,
    amount0: '-5',
    amount1: '6',
    sqrtPriceX96: S110,
    liquidity: '1000',
    tick: 20,
  }),
  ev(P1, 110, 5, 'Swap', {
    sender: BOB,
    recipient: BOB,
    amount0: U128_MAX,
    amount1: '-6',
    sqrtPriceX96: S110,
    liquidity: '1000',
    tick: 20,
  }),
  ev(
    P1,
    112,
    0,
    'Swap',
    {
      sender: BOB,
      recipient: BOB,
      amount0: '1',
      amount1: '-1',
      sqrtPriceX96: '999',
      liquidity: '1',
      tick: 99,
    },
    'orphaned',
    'b',
  ),
  ev(
    P1,
    112,
    1,
    'Swap',
    {
      sender: BOB,
      recipient: BOB,
      amount0: '-1',
      amount1: '1',
      sqrtPriceX96: S112,
      liquidity: '1000',
      tick: 60,
    },
    'unconfirmed',
  ),
  ev(
    P1,
    115,
    0,
    'Burn',
    { owner: ALICE, tickLower: -60, tickUpper: 60, amount: '1000', amount0: '5', amount1: '6' },
    'unconfirmed',
  ),
  ev(P2, 101, 0, 'PoolCreated', { token0: TOKEN0, token1: CAROL, fee: 500, tickSpacing: 10, pool: P2 }),
  ev(
    P2,
    113,
    0,
    'IncreaseObservationCardinalityNext',
    { observationCardinalityNextOld: 1, observationCardinalityNextNew: 5 },
    'unconfirmed',
  ),
];

/** The events of `pool` the api must serve, in chain order, as the api shapes them. */
export function servedEvents(pool: string) {
  return EVENTS.filter((e) => e.address === pool && e.status !== 'orphaned').map((e) => ({
    type: e.type,
    blockNumber: e.n,
    blockHash: h(e.n, e.fork),
    txHash: tx(e.n, e.logIndex),
    txIndex: e.txIndex,
    logIndex: e.logIndex,
    args: e.args,
  }));
}
