import { TickstreamError } from '../errors';
import type { LogEntry, Partition } from './entry';
import type { Hex } from './position';

/**
 * The wire form of a log entry (the hot path: one per raw log), version 1. Binary, big-endian,
 * hashes and data as raw bytes, so a log takes less than half the bytes of its JSON:
 *
 * | bytes | field |
 * |---|---|
 * | 1 | version = 0x01 (JSON entries start with `{` = 0x7b) |
 * | 1 | flags: bit0 blockTimestamp present, bit1 context present, bit2 catch-up (history of a watched address) |
 * | 4 | chainId |
 * | 2 | partition (0xffff = 'tokens') |
 * | 6 | blockNumber |
 * | 4 | txIndex |
 * | 4 | logIndex |
 * | 6 | blockTimestamp (0 when absent) |
 * | 32 | blockHash |
 * | 32 | txHash |
 * | 20 | address |
 * | 1 | topic count n (≤ 4) |
 * | 32·n | topics |
 * | 4 | data length d |
 * | d | data |
 * | 28 | context, when flagged: pool (20), tickLower (int32), tickUpper (int32) |
 */
export const BINARY_LOG_V1 = 0x01;
const TOKENS = 0xffff;
const FIXED = 1 + 1 + 4 + 2 + 6 + 4 + 4 + 6 + 32 + 32 + 20 + 1 + 4;

function putHex(buf: Buffer, at: number, hex: Hex, bytes: number): number {
  const n = buf.write(hex.slice(2), at, bytes, 'hex');
  if (n !== bytes)
    throw new TickstreamError('LEDGER_MALFORMED', `ledger entry: ${hex} is not ${bytes} bytes of hex`);
  return at + bytes;
}

/**
 * A 32-byte hash as it was last written, for the next entry that has the same one: the logs of a block
 * share its hash and those of a transaction its hash, so most entries copy 32 bytes instead of
 * decoding 64 hex digits.
 */
class LastHash {
  #hex: string | null = null;
  readonly #bytes = Buffer.alloc(32);

  put(buf: Buffer, at: number, hex: Hex): number {
    if (hex === this.#hex) {
      buf.set(this.#bytes, at);
      return at + 32;
    }
    const end = putHex(buf, at, hex, 32);
    buf.copy(this.#bytes, 0, at, end);
    this.#hex = hex;
    return end;
  }
}
const lastBlockHash = new LastHash();
const lastTxHash = new LastHash();

/** The bytes of a log entry in the v1 binary form. */
export function binaryLogSize(e: LogEntry): number {
  return FIXED + 32 * e.topics.length + (e.data.length - 2) / 2 + (e.context === undefined ? 0 : 28);
}

/**
 * Writes a log entry in the v1 binary form into `buf` at `start` (at least `binaryLogSize(e)` bytes
 * free) and returns where it ends: a publisher frames many entries into one buffer without a copy
 * each. Its hex fields must be valid (checked by the RPC layer).
 */
export function writeBinaryLog(e: LogEntry, buf: Buffer, start: number): number {
  const dataBytes = (e.data.length - 2) / 2;
  buf[start] = BINARY_LOG_V1;
  buf[start + 1] =
    (e.blockTimestamp === null ? 0 : 1) | (e.context === undefined ? 0 : 2) | (e.catchUp ? 4 : 0);
  buf.writeUInt32BE(e.chainId, start + 2);
  buf.writeUInt16BE(e.partition === 'tokens' ? TOKENS : e.partition, start + 6);
  buf.writeUIntBE(e.blockNumber, start + 8, 6);
  buf.writeUInt32BE(e.txIndex, start + 14);
  buf.writeUInt32BE(e.logIndex, start + 18);
  buf.writeUIntBE(e.blockTimestamp ?? 0, start + 22, 6);
  let at = lastBlockHash.put(buf, start + 28, e.blockHash);
  at = lastTxHash.put(buf, at, e.txHash);
  at = putHex(buf, at, e.address, 20);
  buf[at++] = e.topics.length;
  for (const t of e.topics) at = putHex(buf, at, t, 32);
  buf.writeUInt32BE(dataBytes, at);
  at = putHex(buf, at + 4, e.data, dataBytes);
  if (e.context !== undefined) {
    at = putHex(buf, at, e.context.pool, 20);
    buf.writeInt32BE(e.context.tickLower, at);
    buf.writeInt32BE(e.context.tickUpper, at + 4);
    at += 8;
  }
  return at;
}

/** Encodes a log entry in the v1 binary form. Its hex fields must be valid (checked by the RPC layer). */
export function encodeBinaryLog(e: LogEntry): Buffer {
  const buf = Buffer.allocUnsafe(binaryLogSize(e));
  writeBinaryLog(e, buf, 0);
  return buf;
}

/** Node's native hex encoder, without `toString`'s argument checks (it runs several times per entry). */
type HexSlicer = Buffer & { hexSlice(from: number, to: number): string };
const hexOf = (buf: Buffer, from: number, to: number): Hex => `0x${(buf as HexSlicer).hexSlice(from, to)}`;

/** Whether `a[aFrom, aFrom + n)` equals `b[bFrom, bFrom + n)`: a loop beats `Buffer.compare`'s call for 20–32 bytes. */
function sameBytes(a: Uint8Array, aFrom: number, b: Uint8Array, bFrom: number, n: number): boolean {
  for (let i = 0; i < n; i++) if (a[aFrom + i] !== b[bFrom + i]) return false;
  return true;
}

/**
 * The hex of a field as it was last decoded, for the next entry with the same bytes: the logs of a block
 * share its hash, those of a transaction its hash, and those of a pool its address, so most entries
 * compare a few bytes instead of making a new string (the strings are immutable: sharing is safe).
 */
class LastHex {
  readonly #bytes: Buffer;
  #hex: Hex | null = null;

  constructor(readonly size: number) {
    this.#bytes = Buffer.alloc(size);
  }

  read(buf: Buffer, from: number): Hex {
    if (this.#hex !== null && sameBytes(buf, from, this.#bytes, 0, this.size)) return this.#hex;
    for (let i = 0; i < this.size; i++) this.#bytes[i] = buf[from + i]!;
    this.#hex = hexOf(buf, from, from + this.size);
    return this.#hex;
  }
}
const lastBlockHashHex = new LastHex(32);
const lastTxHashHex = new LastHex(32);
const lastAddressHex = new LastHex(20);

/**
 * Topics seen lately, by their last 4 bytes: an event's signature (topic0) is one of a few, and its
 * indexed arguments (owners, ticks, token ids) recur, so most topics are a compare instead of a new
 * 66-character string (whose hash the decoder's lookups then compute again).
 */
const TOPIC_CACHE_SIZE = 4096;
const topicCache = new Map<number, { readonly bytes: Uint8Array; readonly hex: Hex }>();

function topicHex(buf: Buffer, at: number): Hex {
  const key = buf.readUInt32BE(at + 28);
  const kept = topicCache.get(key);
  if (kept !== undefined && sameBytes(buf, at, kept.bytes, 0, 32)) return kept.hex;
  const hex = hexOf(buf, at, at + 32);
  if (topicCache.size >= TOPIC_CACHE_SIZE) topicCache.clear();
  topicCache.set(key, { bytes: Uint8Array.prototype.slice.call(buf, at, at + 32), hex });
  return hex;
}

function tooShort(buf: Buffer, what: string): TickstreamError {
  return new TickstreamError(
    'LEDGER_MALFORMED',
    `ledger entry: binary log too short for ${what} (${buf.length} bytes)`,
  );
}

/** Decodes the v1 binary form; throws LEDGER_MALFORMED naming what is short or wrong. */
export function decodeBinaryLog(bytes: Uint8Array): LogEntry {
  const buf = Buffer.isBuffer(bytes) ? bytes : Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  if (buf.length < FIXED) throw tooShort(buf, 'the fixed fields');
  const flags = buf[1]!;
  const p = buf.readUInt16BE(6);
  const partition: Partition = p === TOKENS ? 'tokens' : p;
  // Fixed offsets: blockHash 28, txHash 60, address 92, topic count 112, topics from 113.
  const blockHash = lastBlockHashHex.read(buf, 28);
  const txHash = lastTxHashHex.read(buf, 60);
  const address = lastAddressHex.read(buf, 92);
  const n = buf[112]!;
  if (n > 4) throw new TickstreamError('LEDGER_MALFORMED', `ledger entry: ${n} topics (at most 4)`);
  const topicsEnd = 113 + 32 * n;
  if (buf.length < topicsEnd + 4) throw tooShort(buf, 'the topics');
  const topics: Hex[] = new Array(n);
  for (let i = 0; i < n; i++) topics[i] = topicHex(buf, 113 + 32 * i);
  const d = buf.readUInt32BE(topicsEnd);
  const dataStart = topicsEnd + 4;
  const at = dataStart + d;
  if (buf.length < at + (flags & 2 ? 28 : 0)) throw tooShort(buf, 'the data');
  const entry: { -readonly [K in keyof LogEntry]: LogEntry[K] } = {
    kind: 'log',
    chainId: buf.readUInt32BE(2),
    partition,
    blockNumber: buf.readUIntBE(8, 6),
    blockHash,
    blockTimestamp: flags & 1 ? buf.readUIntBE(22, 6) : null,
    txIndex: buf.readUInt32BE(14),
    txHash,
    logIndex: buf.readUInt32BE(18),
    address,
    topics,
    data: hexOf(buf, dataStart, at),
  };
  // Added in place, not spread into a copy: the optional fields are absent, never undefined.
  if (flags & 4) entry.catchUp = true;
  if (flags & 2) {
    entry.context = {
      pool: hexOf(buf, at, at + 20),
      tickLower: buf.readInt32BE(at + 20),
      tickUpper: buf.readInt32BE(at + 24),
    };
  }
  return entry;
}
