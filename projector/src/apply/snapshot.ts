import { type Partition, TickstreamError } from '@tickstream/shared';
import {
  createPoolState,
  type Hex,
  type PoolState,
  type PositionState,
  positionKey,
  takeChanges,
} from '../fold';
import { flipTick } from '../math';
import { createPartitionModel, createPoolEntry, type PartitionModel } from './model';

/**
 * A partition model as JSON (a snapshot): everything `loadModel` would rebuild from the latest tables
 * plus the factory's fee tiers, with every row's last-change block. Big integers are decimal strings;
 * rows are arrays to keep snapshots small. The tick bitmap is derived from the ticks on decode.
 */
type Big = string;
/** tick, liquidityGross, liquidityNet, feeGrowthOutside0X128, feeGrowthOutside1X128, block */
type TickJson = [number, Big, Big, Big, Big, number];
/** owner, tickLower, tickUpper, liquidity, feeGrowthInside0LastX128, feeGrowthInside1LastX128, tokensOwed0, tokensOwed1, block */
type PositionJson = [Hex, number, number, Big, Big, Big, Big, Big, number];
/** sqrtPriceX96, tick, liquidity, feeGrowthGlobal0X128, feeGrowthGlobal1X128, protocolFees0, protocolFees1, feeProtocol, observationCardinalityNext */
type SlotJson = [Big, number, Big, Big, Big, Big, Big, number, number];

interface PoolJson {
  readonly address: Hex;
  readonly token0: Hex;
  readonly token1: Hex;
  readonly fee: number;
  readonly tickSpacing: number;
  readonly createdBlock: number;
  readonly block: [number, Hex];
  readonly slot: SlotJson;
  readonly ticks: TickJson[];
  readonly positions: PositionJson[];
}

/** tokenId, owner, pool, tickLower, tickUpper, liquidity, block */
type TokenJson = [Big, Hex, Hex | null, number, number, Big, number];

type SnapshotJson =
  | { readonly v: 1; readonly kind: 'pools'; readonly fees: [number, number][]; readonly pools: PoolJson[] }
  | { readonly v: 1; readonly kind: 'tokens'; readonly tokens: TokenJson[] };

/**
 * The model as snapshot JSON (see `decodeSnapshot`). Pure; the model is not changed.
 *
 * @example
 * const text = encodeSnapshot(model); // '{"v":1,"kind":"pools","fees":[[3000,60]],"pools":[…]}'
 */
export function encodeSnapshot(model: PartitionModel): string {
  if (model.kind === 'tokens') {
    const tokens: TokenJson[] = [];
    for (const [id, t] of model.tokens.tokens) {
      tokens.push([
        id.toString(),
        t.owner,
        t.pool,
        t.tickLower,
        t.tickUpper,
        t.liquidity.toString(),
        model.tokenBlocks.get(id) ?? 0,
      ]);
    }
    return JSON.stringify({ v: 1, kind: 'tokens', tokens } satisfies SnapshotJson);
  }
  const pools: PoolJson[] = [];
  for (const entry of model.pools.values()) {
    const s = entry.state;
    const ticks: TickJson[] = [];
    for (const [tick, t] of s.ticks) {
      ticks.push([
        tick,
        t.liquidityGross.toString(),
        t.liquidityNet.toString(),
        t.feeGrowthOutside0X128.toString(),
        t.feeGrowthOutside1X128.toString(),
        entry.tickBlocks.get(tick) ?? 0,
      ]);
    }
    const positions: PositionJson[] = [];
    for (const [key, p] of s.positions) {
      positions.push([
        p.owner,
        p.tickLower,
        p.tickUpper,
        p.liquidity.toString(),
        p.feeGrowthInside0LastX128.toString(),
        p.feeGrowthInside1LastX128.toString(),
        p.tokensOwed0.toString(),
        p.tokensOwed1.toString(),
        entry.positionBlocks.get(key) ?? 0,
      ]);
    }
    pools.push({
      address: s.address,
      token0: s.token0,
      token1: s.token1,
      fee: s.fee,
      tickSpacing: s.tickSpacing,
      createdBlock: entry.createdBlock,
      block: [entry.block.number, entry.block.hash],
      slot: [
        s.sqrtPriceX96.toString(),
        s.tick,
        s.liquidity.toString(),
        s.feeGrowthGlobal0X128.toString(),
        s.feeGrowthGlobal1X128.toString(),
        s.protocolFees.token0.toString(),
        s.protocolFees.token1.toString(),
        s.feeProtocol,
        s.observationCardinalityNext,
      ],
      ticks,
      positions,
    });
  }
  const fees = [...model.factory.feeAmountTickSpacing.entries()];
  return JSON.stringify({ v: 1, kind: 'pools', fees, pools } satisfies SnapshotJson);
}

/**
 * Rebuilds a partition model from `encodeSnapshot`'s JSON: the same state, tick bitmaps, factory and
 * last-change blocks, with nothing marked dirty. Throws INTERNAL when the text is not a snapshot of
 * this kind of partition.
 *
 * @example
 * const model = decodeSnapshot(31337, 2, text);
 */
export function decodeSnapshot(chainId: number, partition: Partition, text: string): PartitionModel {
  const json = JSON.parse(text) as SnapshotJson;
  const model = createPartitionModel(chainId, partition);
  if (json.v !== 1 || json.kind !== model.kind) {
    throw new TickstreamError(
      'INTERNAL',
      `partition ${partition}: a snapshot of kind ${json.kind} (v${json.v}) is not for this partition`,
    );
  }
  if (json.kind === 'tokens' && model.kind === 'tokens') {
    for (const [id, owner, pool, tickLower, tickUpper, liquidity, block] of json.tokens) {
      const tokenId = BigInt(id);
      model.tokens.tokens.set(tokenId, { owner, pool, tickLower, tickUpper, liquidity: BigInt(liquidity) });
      model.tokenBlocks.set(tokenId, block);
    }
    return model;
  }
  if (json.kind !== 'pools' || model.kind !== 'pools') return model;
  for (const [fee, spacing] of json.fees) model.factory.feeAmountTickSpacing.set(fee, spacing);
  for (const p of json.pools) {
    const state = createPoolState({
      type: 'PoolCreated',
      log: { blockNumber: p.createdBlock, txIndex: 0, logIndex: 0, blockHash: '0x', address: '0x' },
      token0: p.token0,
      token1: p.token1,
      fee: p.fee,
      tickSpacing: p.tickSpacing,
      pool: p.address,
    });
    const [sqrtPriceX96, tick, liquidity, fg0, fg1, pf0, pf1, feeProtocol, cardinalityNext] = p.slot;
    state.sqrtPriceX96 = BigInt(sqrtPriceX96);
    state.tick = tick;
    state.liquidity = BigInt(liquidity);
    state.feeGrowthGlobal0X128 = BigInt(fg0);
    state.feeGrowthGlobal1X128 = BigInt(fg1);
    state.protocolFees.token0 = BigInt(pf0);
    state.protocolFees.token1 = BigInt(pf1);
    state.feeProtocol = feeProtocol;
    state.observationCardinalityNext = cardinalityNext;
    const entry = createPoolEntry(state, { number: p.block[0], hash: p.block[1] }, p.createdBlock);
    for (const [t, gross, net, out0, out1, block] of p.ticks) {
      state.ticks.set(t, {
        liquidityGross: BigInt(gross),
        liquidityNet: BigInt(net),
        feeGrowthOutside0X128: BigInt(out0),
        feeGrowthOutside1X128: BigInt(out1),
        initialized: true,
      });
      flipTick(state.tickBitmap, t, state.tickSpacing);
      entry.tickBlocks.set(t, block);
    }
    for (const [owner, tickLower, tickUpper, liq, in0, in1, owed0, owed1, block] of p.positions) {
      const position: PositionState = {
        owner,
        tickLower,
        tickUpper,
        liquidity: BigInt(liq),
        feeGrowthInside0LastX128: BigInt(in0),
        feeGrowthInside1LastX128: BigInt(in1),
        tokensOwed0: BigInt(owed0),
        tokensOwed1: BigInt(owed1),
      };
      const key = positionKey(owner, tickLower, tickUpper);
      state.positions.set(key, position);
      entry.positionBlocks.set(key, block);
    }
    takeChanges(state);
    model.pools.set(state.address, entry);
    model.factory.pools.set(state.address, {
      token0: state.token0,
      token1: state.token1,
      fee: state.fee,
      tickSpacing: state.tickSpacing,
    });
  }
  return model;
}

/**
 * A deep copy of a model: its own maps and row objects (big integers are immutable and shared), so
 * folding into one never changes the other. Cheaper than `decodeSnapshot(encodeSnapshot(model))`: it
 * parses nothing.
 *
 * @example
 * const kept = cloneModel(model); // folding on into `model` leaves `kept` as it was
 */
export function cloneModel(model: PartitionModel): PartitionModel {
  if (model.kind === 'tokens') {
    const copy = createPartitionModel(model.chainId, 'tokens');
    if (copy.kind !== 'tokens') return copy;
    for (const [id, t] of model.tokens.tokens) copy.tokens.tokens.set(id, { ...t });
    for (const [id, b] of model.tokenBlocks) copy.tokenBlocks.set(id, b);
    return copy;
  }
  const copy = createPartitionModel(model.chainId, model.partition);
  if (copy.kind !== 'pools') return copy;
  for (const [fee, spacing] of model.factory.feeAmountTickSpacing)
    copy.factory.feeAmountTickSpacing.set(fee, spacing);
  for (const [address, key] of model.factory.pools) copy.factory.pools.set(address, key);
  for (const [address, entry] of model.pools) {
    const s = entry.state;
    const state: PoolState = {
      ...s,
      protocolFees: { ...s.protocolFees },
      ticks: new Map(),
      tickBitmap: new Map(s.tickBitmap),
      positions: new Map(),
      dirty: { pool: false, ticks: new Set(), bitmapWords: new Set(), positions: new Set() },
    };
    for (const [t, info] of s.ticks) state.ticks.set(t, { ...info });
    for (const [k, p] of s.positions) state.positions.set(k, { ...p });
    copy.pools.set(address, {
      state,
      createdBlock: entry.createdBlock,
      block: entry.block,
      tickBlocks: new Map(entry.tickBlocks),
      positionBlocks: new Map(entry.positionBlocks),
    });
  }
  return copy;
}
