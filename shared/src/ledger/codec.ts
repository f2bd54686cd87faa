import { TickstreamError } from '../errors';
import { BINARY_LOG_V1, decodeBinaryLog, encodeBinaryLog } from './binary-log';
import type { LedgerEntry, LogEntry, PoolContext } from './entry';
import type { Hex } from './position';

const encoder = new TextEncoder();
const decoder = new TextDecoder();

/**
 * The JetStream message id of an entry, used for de-duplication. It includes the block hash, so a
 * log of a new fork is not dropped as a duplicate of the orphaned one; and, after the ledger's first
 * rollback, the id of the latest rollback (`epoch`), so a block appended again after an operator's
 * rollback (same hash) is not dropped as a duplicate of its first append.
 *
 * @example messageId(logEntry) === 'log:120:3:7:0xabc…'; messageId(logEntry, 'r-9') === 'log:120:3:7:0xabc…~r-9'
 */
export function messageId(e: LedgerEntry, epoch: string | null = null): string {
  const suffix = epoch === null ? '' : `~${epoch}`;
  switch (e.kind) {
    case 'log':
      return `log:${e.blockNumber}:${e.txIndex}:${e.logIndex}:${e.blockHash}${suffix}`;
    case 'seal':
      return `seal:${e.partition}:${e.blockNumber}:${e.blockHash}${suffix}`;
    case 'rollback':
      return `rollback:${e.partition}:${e.reorgId}`;
  }
}

/**
 * The wire form of an entry. Logs, the hot path, use the binary v1 form (`binary-log.ts`: less than
 * half the bytes of JSON, no escaping, native hex conversion); seals and rollbacks, one per block and
 * partition at most, are JSON (they start with `{`, which tells the forms apart).
 */
export function encodeEntry(e: LedgerEntry): Uint8Array {
  return e.kind === 'log' ? encodeBinaryLog(e) : encoder.encode(JSON.stringify(e));
}

/**
 * Decodes and checks one entry. Throws LEDGER_MALFORMED naming the field when the bytes are not an entry.
 */
export function decodeEntry(bytes: Uint8Array): LedgerEntry {
  if (bytes[0] === BINARY_LOG_V1) return decodeBinaryLog(bytes);
  let v: unknown;
  try {
    v = JSON.parse(decoder.decode(bytes));
  } catch (cause) {
    throw malformed('not JSON', cause);
  }
  if (typeof v !== 'object' || v === null) throw malformed('not an object');
  const o = v as Record<string, unknown>;
  uint(o, 'chainId');
  partition(o);
  switch (o.kind) {
    case 'log':
      uint(o, 'blockNumber');
      uint(o, 'txIndex');
      uint(o, 'logIndex');
      hex(o, 'blockHash', 64);
      hex(o, 'txHash', 64);
      hex(o, 'address', 40);
      hex(o, 'data');
      if (o.blockTimestamp !== null) uint(o, 'blockTimestamp');
      if (!Array.isArray(o.topics) || o.topics.length > 4) throw malformed('topics: expected up to 4 topics');
      for (const t of o.topics) if (!isHex(t, 64)) throw malformed('topics: expected 32-byte hex');
      if (o.context !== undefined) context(o.context);
      return o as unknown as LogEntry;
    case 'seal':
      uint(o, 'blockNumber');
      uint(o, 'logCount');
      hex(o, 'blockHash', 64);
      if (o.parentHash !== null) hex(o, 'parentHash', 64);
      if (o.timestamp !== null) uint(o, 'timestamp');
      return o as unknown as LedgerEntry;
    case 'rollback':
      uint(o, 'toBlock');
      hex(o, 'toBlockHash', 64);
      if (typeof o.reorgId !== 'string' || o.reorgId === '') throw malformed('reorgId: expected a string');
      return o as unknown as LedgerEntry;
    default:
      throw malformed(`kind: expected log, seal or rollback, got ${JSON.stringify(o.kind)}`);
  }
}

function malformed(what: string, cause?: unknown): TickstreamError {
  return new TickstreamError(
    'LEDGER_MALFORMED',
    `ledger entry: ${what}`,
    cause === undefined ? {} : { cause },
  );
}

function isHex(v: unknown, nibbles?: number): v is Hex {
  return (
    typeof v === 'string' &&
    v.startsWith('0x') &&
    (nibbles === undefined ? v.length % 2 === 0 : v.length === nibbles + 2) &&
    /^0x[0-9a-fA-F]*$/.test(v)
  );
}

function hex(o: Record<string, unknown>, key: string, nibbles?: number): void {
  if (!isHex(o[key], nibbles))
    throw malformed(`${key}: expected ${nibbles === undefined ? '' : `${nibbles / 2}-byte `}hex`);
}

function uint(o: Record<string, unknown>, key: string): void {
  const v = o[key];
  if (typeof v !== 'number' || !Number.isSafeInteger(v) || v < 0)
    throw malformed(`${key}: expected a whole number`);
}

function partition(o: Record<string, unknown>): void {
  const p = o.partition;
  if (p !== 'tokens' && !(typeof p === 'number' && Number.isSafeInteger(p) && p >= 0)) {
    throw malformed('partition: expected a number or "tokens"');
  }
}

function context(v: unknown): asserts v is PoolContext {
  const c = v as Record<string, unknown>;
  if (typeof c !== 'object' || c === null || !isHex(c.pool, 40))
    throw malformed('context.pool: expected an address');
  if (!Number.isSafeInteger(c.tickLower) || !Number.isSafeInteger(c.tickUpper)) {
    throw malformed('context: expected integer ticks');
  }
}
