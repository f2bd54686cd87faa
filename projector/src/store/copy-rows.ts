import type { EventRow, NftRow, PoolRow, PositionRow, TickRow } from '../apply';
import { copyText } from './copy';

/**
 * Rows as lines of COPY's text format, with the columns of each table (the values `write.ts` upserts):
 * the rebuild writes all of them, the live projector its history and event rows (`write.ts`). History
 * and event rows carry their `status`: the rebuild writes `confirmed` at or below its confirmed block,
 * the live projector `unconfirmed` (the finality task confirms them).
 */

const N = '\\N';
const num = (v: number | null): string => (v === null ? N : String(v));

export const POOL_HISTORY_COLUMNS = [
  'chain_id',
  'address',
  'block_number',
  'block_hash',
  'sqrt_price_x96',
  'tick',
  'liquidity',
  'fee_growth_global0_x128',
  'fee_growth_global1_x128',
  'protocol_fees_token0',
  'protocol_fees_token1',
  'fee_protocol',
  'observation_cardinality_next',
  'status',
] as const;

function poolState(r: PoolRow): string {
  return `${r.sqrtPriceX96}\t${num(r.tick)}\t${r.liquidity}\t${r.feeGrowthGlobal0X128}\t${r.feeGrowthGlobal1X128}\t${r.protocolFeesToken0}\t${r.protocolFeesToken1}\t${r.feeProtocol}\t${r.observationCardinalityNext}`;
}

/** @example poolHistoryLine(31337, row, 'confirmed') // '31337\t0xab…\t812\t0x…\t7922…\t…\tconfirmed\n' */
export function poolHistoryLine(chainId: number, r: PoolRow, status: string): string {
  return `${chainId}\t${r.address}\t${r.block.number}\t${r.block.hash}\t${poolState(r)}\t${status}\n`;
}

export const POOLS_COLUMNS = [
  'chain_id',
  'address',
  'partition',
  'token0',
  'token1',
  'fee',
  'tick_spacing',
  'created_block',
  'sqrt_price_x96',
  'tick',
  'liquidity',
  'fee_growth_global0_x128',
  'fee_growth_global1_x128',
  'protocol_fees_token0',
  'protocol_fees_token1',
  'fee_protocol',
  'observation_cardinality_next',
  'block_number',
  'block_hash',
] as const;

export function poolLine(chainId: number, partition: string, r: PoolRow): string {
  return `${chainId}\t${r.address}\t${partition}\t${r.token0}\t${r.token1}\t${r.fee}\t${r.tickSpacing}\t${r.createdBlock}\t${poolState(r)}\t${r.block.number}\t${r.block.hash}\n`;
}

export const TICK_HISTORY_COLUMNS = [
  'chain_id',
  'pool',
  'tick',
  'block_number',
  'block_hash',
  'liquidity_gross',
  'liquidity_net',
  'fee_growth_outside0_x128',
  'fee_growth_outside1_x128',
  'status',
] as const;

export function tickHistoryLine(chainId: number, r: TickRow, status: string): string {
  return `${chainId}\t${r.pool}\t${r.tick}\t${r.block.number}\t${r.block.hash}\t${r.liquidityGross}\t${r.liquidityNet}\t${r.feeGrowthOutside0X128}\t${r.feeGrowthOutside1X128}\t${status}\n`;
}

export const TICKS_COLUMNS = [
  'chain_id',
  'pool',
  'tick',
  'liquidity_gross',
  'liquidity_net',
  'fee_growth_outside0_x128',
  'fee_growth_outside1_x128',
  'block_number',
] as const;

export function tickLine(chainId: number, r: TickRow): string {
  return `${chainId}\t${r.pool}\t${r.tick}\t${r.liquidityGross}\t${r.liquidityNet}\t${r.feeGrowthOutside0X128}\t${r.feeGrowthOutside1X128}\t${r.block.number}\n`;
}

export const POSITION_HISTORY_COLUMNS = [
  'chain_id',
  'pool',
  'owner',
  'tick_lower',
  'tick_upper',
  'block_number',
  'block_hash',
  'liquidity',
  'fee_growth_inside0_last_x128',
  'fee_growth_inside1_last_x128',
  'tokens_owed0',
  'tokens_owed1',
  'status',
] as const;

function positionState(r: PositionRow): string {
  return `${r.liquidity}\t${r.feeGrowthInside0LastX128}\t${r.feeGrowthInside1LastX128}\t${r.tokensOwed0}\t${r.tokensOwed1}`;
}

export function positionHistoryLine(chainId: number, r: PositionRow, status: string): string {
  return `${chainId}\t${r.pool}\t${r.owner}\t${r.tickLower}\t${r.tickUpper}\t${r.block.number}\t${r.block.hash}\t${positionState(r)}\t${status}\n`;
}

export const POSITIONS_COLUMNS = [
  'chain_id',
  'pool',
  'owner',
  'tick_lower',
  'tick_upper',
  'liquidity',
  'fee_growth_inside0_last_x128',
  'fee_growth_inside1_last_x128',
  'tokens_owed0',
  'tokens_owed1',
  'block_number',
] as const;

export function positionLine(chainId: number, r: PositionRow): string {
  return `${chainId}\t${r.pool}\t${r.owner}\t${r.tickLower}\t${r.tickUpper}\t${positionState(r)}\t${r.block.number}\n`;
}

export const NFT_POSITIONS_COLUMNS = [
  'chain_id',
  'token_id',
  'owner',
  'pool',
  'tick_lower',
  'tick_upper',
  'liquidity',
  'burned',
  'block_number',
] as const;

export function nftLine(chainId: number, r: NftRow): string {
  return `${chainId}\t${r.tokenId}\t${r.owner}\t${r.pool ?? N}\t${num(r.tickLower)}\t${num(r.tickUpper)}\t${r.liquidity}\t${r.burned ? 't' : 'f'}\t${r.block.number}\n`;
}

export const EVENTS_COLUMNS = [
  'chain_id',
  'partition',
  'address',
  'block_number',
  'block_hash',
  'tx_index',
  'log_index',
  'tx_hash',
  'type',
  'args',
  'status',
] as const;

/**
 * An event's args for COPY: compact JSON (`argsJson`) has no tab, newline or carriage return (JSON
 * escapes them inside strings), so only a backslash calls for `copyText`; the usual args have none and
 * go as they are (no regular expression over every row).
 */
function argsText(args: string): string {
  return args.includes('\\') ? copyText(args) : args;
}

export function eventLine(chainId: number, partition: string, r: EventRow, status: string): string {
  return `${chainId}\t${partition}\t${r.address}\t${r.blockNumber}\t${r.blockHash}\t${r.txIndex}\t${r.logIndex}\t${r.txHash}\t${r.type}\t${argsText(r.args)}\t${status}\n`;
}
