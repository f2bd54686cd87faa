import { TickstreamError } from '@tickstream/shared';
import type { SealedBlock } from '../consume';
import { decodeLog } from '../decode';
import {
  createPoolState,
  evolveFactory,
  evolvePool,
  evolveTokens,
  type Hex,
  type ManagerEvent,
  type PoolEvent,
  type TokenPosition,
  takeChanges,
  takeTokenChanges,
  type UniswapEvent,
} from '../fold';
import { invariantError } from '../fold/invariant';
import {
  createPoolEntry,
  type PartitionModel,
  type PoolPartitionModel,
  type TokenPartitionModel,
} from './model';
import {
  argsJson,
  type BlockStamp,
  type EventRow,
  type NftRow,
  nftRow,
  type PoolRow,
  type PositionRow,
  poolRow,
  positionRow,
  type TickRow,
  tickRow,
} from './rows';

const ZERO_ADDRESS = '0x0000000000000000000000000000000000000000';

/** What one sealed block changed in a partition: one row per changed key, values as of the block's end. */
export interface BlockChanges {
  readonly block: BlockStamp;
  /** Stream sequence of the block's seal. */
  readonly seq: number;
  readonly pools: PoolRow[];
  readonly ticks: TickRow[];
  readonly positions: PositionRow[];
  readonly nfts: NftRow[];
  readonly events: EventRow[];
  /** Log entries of the block (folded or skipped). */
  readonly logs: number;
  /** Logs the projector does not fold (Approval, ApprovalForAll, OwnerChanged). */
  readonly skipped: number;
}

function eventRow(event: UniswapEvent, txHash: Hex, address: Hex): EventRow {
  return {
    address,
    blockNumber: event.log.blockNumber,
    blockHash: event.log.blockHash,
    txIndex: event.log.txIndex,
    logIndex: event.log.logIndex,
    txHash,
    type: event.type,
    args: argsJson(event),
  };
}

function isManagerEvent(e: UniswapEvent): e is ManagerEvent {
  return (
    e.type === 'IncreaseLiquidity' ||
    e.type === 'DecreaseLiquidity' ||
    e.type === 'ManagerCollect' ||
    e.type === 'Transfer'
  );
}

function emptyChanges(block: SealedBlock): BlockChanges {
  return {
    block: { number: block.seal.blockNumber, hash: block.seal.blockHash },
    seq: block.seq,
    pools: [],
    ticks: [],
    positions: [],
    nfts: [],
    events: [],
    logs: block.logs.length,
    skipped: 0,
  };
}

function applyPoolBlock(model: PoolPartitionModel, block: SealedBlock): BlockChanges {
  const out = emptyChanges(block);
  let skipped = 0;
  const touched = new Set<Hex>();
  for (const entry of block.logs) {
    const event = decodeLog(entry);
    if (event === undefined) {
      skipped++;
      continue;
    }
    switch (event.type) {
      case 'PoolCreated': {
        evolveFactory(model.factory, event);
        const state = createPoolState(event);
        model.pools.set(state.address, createPoolEntry(state, out.block));
        touched.add(state.address);
        out.events.push(eventRow(event, entry.txHash, state.address));
        break;
      }
      case 'FeeAmountEnabled':
        evolveFactory(model.factory, event);
        out.events.push(eventRow(event, entry.txHash, event.log.address));
        break;
      default: {
        if (isManagerEvent(event)) {
          throw invariantError(
            event,
            `partition ${model.partition}`,
            'a position-manager event in a pool partition',
          );
        }
        const pool = model.pools.get(event.log.address);
        if (pool === undefined) {
          throw invariantError(
            event,
            `pool ${event.log.address}`,
            `no pool of partition ${model.partition} has this address`,
          );
        }
        evolvePool(pool.state, event as PoolEvent);
        touched.add(pool.state.address);
        out.events.push(eventRow(event, entry.txHash, pool.state.address));
      }
    }
  }
  const n = out.block.number;
  for (const address of touched) {
    const pool = model.pools.get(address)!;
    const changes = takeChanges(pool.state);
    if (changes.pool) {
      pool.block = out.block;
      out.pools.push(poolRow(pool, out.block));
    }
    for (const tick of changes.ticks) {
      const info = pool.state.ticks.get(tick);
      if (info === undefined) pool.tickBlocks.delete(tick);
      else pool.tickBlocks.set(tick, n);
      out.ticks.push(tickRow(address, tick, info, out.block));
    }
    for (const key of changes.positions) {
      pool.positionBlocks.set(key, n);
      out.positions.push(positionRow(address, pool.state.positions.get(key)!, out.block));
    }
  }
  return { ...out, skipped };
}

function applyTokenBlock(model: TokenPartitionModel, block: SealedBlock): BlockChanges {
  const out = emptyChanges(block);
  const tokens = model.tokens.tokens;
  let skipped = 0;
  const burned = new Map<bigint, TokenPosition>();
  const pending: { event: ManagerEvent; txHash: Hex; pool: Hex | undefined }[] = [];
  for (const entry of block.logs) {
    const event = decodeLog(entry);
    if (event === undefined) {
      skipped++;
      continue;
    }
    if (!isManagerEvent(event)) {
      throw invariantError(event, 'partition tokens', 'a pool or factory event in the tokens partition');
    }
    if (event.type === 'Transfer' && event.to === ZERO_ADDRESS) {
      const before = tokens.get(event.tokenId);
      if (before !== undefined) burned.set(event.tokenId, before);
    }
    evolveTokens(model.tokens, event, entry.context);
    pending.push({ event, txHash: entry.txHash, pool: entry.context?.pool.toLowerCase() as Hex | undefined });
  }
  // Events are filed under their pool: known once the block's mints are folded (the mint Transfer
  // comes before the IncreaseLiquidity that places the token).
  for (const { event, txHash, pool } of pending) {
    const where =
      pool ?? tokens.get(event.tokenId)?.pool ?? burned.get(event.tokenId)?.pool ?? event.log.address;
    out.events.push(eventRow(event, txHash, where));
  }
  for (const id of takeTokenChanges(model.tokens)) {
    const live = tokens.get(id);
    const gone = burned.get(id);
    if (live !== undefined) {
      model.tokenBlocks.set(id, out.block.number);
      out.nfts.push(nftRow(id, live, false, out.block));
    } else {
      model.tokenBlocks.delete(id);
      if (gone !== undefined) out.nfts.push(nftRow(id, gone, true, out.block));
    }
  }
  return { ...out, skipped };
}

/**
 * Folds one sealed block into the partition's model (in place) and returns what the block changed:
 * rows of the pools, ticks (cleared ones as zero rows), positions and tokens it touched, and its decoded
 * events. Logs the projector does not fold are counted in `skipped`. A log that contradicts the state
 * throws PROJECTION_INVARIANT naming it; the model is then partly changed and must be dropped.
 *
 * @example
 * const changes = applyBlock(model, sealedBlock);
 * changes.pools[0]?.sqrtPriceX96; // the pool's price at the end of the block
 */
export function applyBlock(model: PartitionModel, block: SealedBlock): BlockChanges {
  if (block.seal.partition !== model.partition) {
    throw new TickstreamError(
      'INTERNAL',
      `block ${block.seal.blockNumber} of partition ${block.seal.partition} given to partition ${model.partition}`,
    );
  }
  return model.kind === 'pools' ? applyPoolBlock(model, block) : applyTokenBlock(model, block);
}
