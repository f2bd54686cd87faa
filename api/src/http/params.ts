import { badRequest } from './errors';

/**
 * Parsers for path and query parameters. Each returns the normalised value or throws BAD_REQUEST with a
 * message that names the parameter and quotes what it got, e.g.
 * `block: expected a non-negative whole number, got 'abc'`. Absent optional parameters are `undefined`.
 */

export type Address = `0x${string}`;

const ADDRESS = /^0x[0-9a-fA-F]{40}$/;
const DIGITS = /^[0-9]+$/;
const MAX_UINT256 = (1n << 256n) - 1n;

/** The event types the events table holds (pool events plus the factory's PoolCreated). */
export const EVENT_TYPES = [
  'Initialize',
  'Mint',
  'Burn',
  'Swap',
  'Collect',
  'Flash',
  'SetFeeProtocol',
  'CollectProtocol',
  'IncreaseObservationCardinalityNext',
  'PoolCreated',
] as const;
export type EventType = (typeof EVENT_TYPES)[number];

export const DEFAULT_LIMIT = 100;
export const MAX_LIMIT = 1000;

/** Quotes a raw value for a message, cut short so that a huge parameter does not come back whole. */
export function quote(raw: string): string {
  return `'${raw.length > 80 ? `${raw.slice(0, 80)}…` : raw}'`;
}

/**
 * A 20-byte hex address, any case, returned lowercase.
 *
 * @example parseAddress('address', '0xAbC…') // '0xabc…'
 */
export function parseAddress(name: string, raw: string): Address {
  if (!ADDRESS.test(raw))
    throw badRequest(`${name}: expected 0x followed by 40 hex digits, got ${quote(raw)}`);
  return raw.toLowerCase() as Address;
}

/**
 * A block number: decimal digits only, a safe integer.
 *
 * @example parseBlockNumber('block', '120') // 120
 */
export function parseBlockNumber(name: string, raw: string | undefined): number | undefined {
  if (raw === undefined) return undefined;
  if (!DIGITS.test(raw)) throw badRequest(`${name}: expected a non-negative whole number, got ${quote(raw)}`);
  const n = Number(raw);
  if (!Number.isSafeInteger(n))
    throw badRequest(
      `${name}: expected a block number at most ${Number.MAX_SAFE_INTEGER}, got ${quote(raw)}`,
    );
  return n;
}

/** A page size from 1 to MAX_LIMIT; DEFAULT_LIMIT when absent. */
export function parseLimit(raw: string | undefined): number {
  if (raw === undefined) return DEFAULT_LIMIT;
  const n = DIGITS.test(raw) ? Number(raw) : Number.NaN;
  if (!Number.isInteger(n) || n < 1 || n > MAX_LIMIT)
    throw badRequest(`limit: expected a whole number from 1 to ${MAX_LIMIT}, got ${quote(raw)}`);
  return n;
}

/**
 * A position-manager token id: a decimal uint256, returned without leading zeros.
 *
 * @example parseTokenId('007') // '7'
 */
export function parseTokenId(raw: string): string {
  if (!DIGITS.test(raw) || raw.length > 80 || BigInt(raw) > MAX_UINT256)
    throw badRequest(`tokenId: expected a decimal uint256, got ${quote(raw)}`);
  return BigInt(raw).toString();
}

/** One of EVENT_TYPES (case-sensitive, as the contracts name them). */
export function parseEventType(raw: string | undefined): EventType | undefined {
  if (raw === undefined) return undefined;
  if (!(EVENT_TYPES as readonly string[]).includes(raw))
    throw badRequest(`type: expected one of ${EVENT_TYPES.join(', ')}, got ${quote(raw)}`);
  return raw as EventType;
}

export type Finality = 'latest' | 'confirmed';

/** `latest` (default): the newest indexed block; `confirmed`: FINALITY_DEPTH blocks below it. */
export function parseFinality(raw: string | undefined): Finality {
  if (raw === undefined || raw === 'latest') return 'latest';
  if (raw === 'confirmed') return 'confirmed';
  throw badRequest(`finality: expected latest or confirmed, got ${quote(raw)}`);
}
