import { type Partition, TickstreamError } from '@tickstream/shared';
import {
  createPoolState,
  type Hex,
  type PoolState,
  type PositionState,
  positionKey,
  takeChanges,
} from '../fold';
import { flipTick, type TickInfo } from '../math';
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
 * The text of a tick or position as last encoded, with every value it was made from: a row unchanged
 * since the previous snapshot (most rows: a snapshot every few blocks, few rows changed in between) is
 * not formatted again. A hit needs all values equal (compared, never assumed), so the text is exactly
 * what formatting now would give. Kept by row object; a row dropped with its model is forgotten.
 */
interface TickMemo {
  tick: number;
  gross: bigint;
  net: bigint;
  out0: bigint;
  out1: bigint;
  block: number;
  text: string;
}
interface PositionMemo {
  owner: Hex;
  lower: number;
  upper: number;
  liquidity: bigint;
  in0: bigint;
  in1: bigint;
  owed0: bigint;
  owed1: bigint;
  block: number;
  text: string;
}
const tickMemos = new WeakMap<TickInfo, TickMemo>();
const positionMemos = new WeakMap<PositionState, PositionMemo>();

/** `TickJson` of one tick, as `JSON.stringify` writes it. */
function tickText(tick: number, t: TickInfo, block: number): string {
  const m = tickMemos.get(t);
  if (
    m !== undefined &&
    m.tick === tick &&
    m.block === block &&
    m.gross === t.liquidityGross &&
    m.net === t.liquidityNet &&
    m.out0 === t.feeGrowthOutside0X128 &&
    m.out1 === t.feeGrowthOutside1X128
  )
    return m.text;
  const text = `[${tick},"${t.liquidityGross}","${t.liquidityNet}","${t.feeGrowthOutside0X128}","${t.feeGrowthOutside1X128}",${block}]`;
  tickMemos.set(t, {
    tick,
    gross: t.liquidityGross,
    net: t.liquidityNet,
    out0: t.feeGrowthOutside0X128,
    out1: t.feeGrowthOutside1X128,
    block,
    text,
  });
  return text;
}

/** `PositionJson` of one position, as `JSON.stringify` writes it. */
function positionText(p: PositionState, block: number): string {
  const m = positionMemos.get(p);
  if (
    m !== undefined &&
    m.block === block &&
    m.owner === p.owner &&
    m.lower === p.tickLower &&
    m.upper === p.tickUpper &&
    m.liquidity === p.liquidity &&
    m.in0 === p.feeGrowthInside0LastX128 &&
    m.in1 === p.feeGrowthInside1LastX128 &&
    m.owed0 === p.tokensOwed0 &&
    m.owed1 === p.tokensOwed1
  )
    return m.text;
  const text =
    `[${JSON.stringify(p.owner)},${p.tickLower},${p.tickUpper},"${p.liquidity}","${p.feeGrowthInside0LastX128}",` +
    `"${p.feeGrowthInside1LastX128}","${p.tokensOwed0}","${p.tokensOwed1}",${block}]`;
  positionMemos.set(p, {
    owner: p.owner,
    lower: p.tickLower,
    upper: p.tickUpper,
    liquidity: p.liquidity,
    in0: p.feeGrowthInside0LastX128,
    in1: p.feeGrowthInside1LastX128,
    owed0: p.tokensOwed0,
    owed1: p.tokensOwed1,
    block,
    text,
  });
  return text;
}

/**
 * The model as snapshot JSON (see `decodeSnapshot`): the text `JSON.stringify` gives for `SnapshotJson`,
 * with the ticks and positions unchanged since the previous call not formatted again (`tickText`,
 * `positionText`). Pure as seen from outside; the model is not changed.
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
  let pools = '';
  for (const entry of model.pools.values()) {
    const s = entry.state;
    let ticks = '';
    for (const [tick, t] of s.ticks) {
      ticks += `${ticks === '' ? '' : ','}${tickText(tick, t, entry.tickBlocks.get(tick) ?? 0)}`;
    }
    let positions = '';
    for (const [key, p] of s.positions) {
      positions += `${positions === '' ? '' : ','}${positionText(p, entry.positionBlocks.get(key) ?? 0)}`;
    }
    const head: Omit<PoolJson, 'ticks' | 'positions'> = {
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
    };
    // `{…head fields…,"ticks":[…],"positions":[…]}`: the head's JSON without its closing brace.
    const text = `${JSON.stringify(head).slice(0, -1)},"ticks":[${ticks}],"positions":[${positions}]}`;
    pools += `${pools === '' ? '' : ','}${text}`;
  }
  const fees = JSON.stringify([...model.factory.feeAmountTickSpacing.entries()]);
  return `{"v":1,"kind":"pools","fees":${fees},"pools":[${pools}]}`;
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
