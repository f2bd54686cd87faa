import { type Hex, TickstreamError } from '@tickstream/shared';

/** A log as we keep it: every field checked, numbers decoded. */
export interface ChainLog {
  readonly address: Hex;
  readonly topics: readonly Hex[];
  readonly data: Hex;
  readonly blockNumber: number;
  readonly blockHash: Hex;
  readonly blockTimestamp: number | null;
  readonly txHash: Hex;
  readonly txIndex: number;
  readonly logIndex: number;
}

/** A block header: what the hash chain needs, no transactions. */
export interface ChainHeader {
  readonly number: number;
  readonly hash: Hex;
  readonly parentHash: Hex;
  readonly timestamp: number;
}

const LOWER_HEX = /^0x[0-9a-f]*$/;
const HEX = /^0x[0-9a-fA-F]*$/;

function fail(what: string, detail: string, raw: unknown): never {
  throw new TickstreamError('RPC_MALFORMED', `${what}: ${detail}`, {
    retryable: true,
    details: { raw: JSON.stringify(raw)?.slice(0, 500) },
  });
}

/** A hex string, lowercased (nodes nearly always answer lowercase: tested first, without copying). */
function hexOf(o: Record<string, unknown>, key: string, what: string, bytes?: number): Hex {
  const v = o[key];
  if (typeof v !== 'string') fail(what, `${key} is missing`, o);
  if (bytes === undefined || v.length === 2 + 2 * bytes) {
    if (LOWER_HEX.test(v)) return v as Hex;
    if (HEX.test(v)) return v.toLowerCase() as Hex;
  }
  return fail(what, `${key} is not ${bytes === undefined ? '' : `${bytes}-byte `}hex: ${v}`, o);
}

/** 0-9, a-f, A-F. */
function isHexDigit(c: number): boolean {
  return (c >= 48 && c <= 57) || ((c | 32) >= 97 && (c | 32) <= 102);
}

function quantityOf(o: Record<string, unknown>, key: string, what: string): number {
  const v = o[key];
  // /^0x[0-9a-fA-F]{1,13}$/ without a regex on the hot path: `Number` reads `0x…` as hex and answers NaN
  // for any other character inside; it trims white space, which the first and last digit rule out.
  if (
    typeof v === 'string' &&
    v.length >= 3 &&
    v.length <= 15 &&
    v.charCodeAt(0) === 48 &&
    v.charCodeAt(1) === 120 &&
    isHexDigit(v.charCodeAt(2)) &&
    isHexDigit(v.charCodeAt(v.length - 1))
  ) {
    const n = Number(v);
    if (!Number.isNaN(n)) return n;
  }
  return fail(what, `${key} is not a hex quantity: ${v}`, o);
}

const LOG = 'eth_getLogs returned a malformed log';

/**
 * Checks one raw `eth_getLogs` entry and converts it. Throws RPC_MALFORMED (retryable) naming the field:
 * such a log must never reach the ledger.
 */
export function parseLog(raw: unknown): ChainLog {
  return parseLogAfter(raw, undefined);
}

/**
 * `parseLog`, where `prev` (the log before it in the same answer) lends its block and transaction
 * hash when they are the same text: checked once, and one string kept for the whole block instead of
 * one per log (less to check, less for the collector to copy).
 */
function parseLogAfter(raw: unknown, prev: ChainLog | undefined): ChainLog {
  const what = LOG;
  if (typeof raw !== 'object' || raw === null) fail(what, 'not an object', raw);
  const o = raw as Record<string, unknown>;
  if (o.removed === true) fail(what, 'removed is true (log of an orphaned block)', o);
  const rawTopics = o.topics;
  if (!Array.isArray(rawTopics) || rawTopics.length > 4) fail(what, 'topics is not an array of up to 4', o);
  // The answer's own array when its topics are lowercase already (nearly always): one copy less per log.
  let topics = rawTopics as Hex[];
  for (let i = 0; i < rawTopics.length; i++) {
    const t: unknown = rawTopics[i];
    if (typeof t !== 'string' || t.length !== 66) fail(what, `topic is not 32-byte hex: ${String(t)}`, o);
    if (LOWER_HEX.test(t)) continue;
    if (!HEX.test(t)) fail(what, `topic is not 32-byte hex: ${String(t)}`, o);
    if (topics === rawTopics) topics = [...topics];
    topics[i] = t.toLowerCase() as Hex;
  }
  const data = hexOf(o, 'data', what);
  if (data.length % 2 !== 0) fail(what, 'data has an odd number of hex digits', o);
  const ts = o.blockTimestamp;
  return {
    address: hexOf(o, 'address', what, 20),
    topics,
    data,
    blockNumber: quantityOf(o, 'blockNumber', what),
    blockHash:
      prev !== undefined && o.blockHash === prev.blockHash ? prev.blockHash : hexOf(o, 'blockHash', what, 32),
    blockTimestamp: typeof ts === 'string' ? quantityOf(o, 'blockTimestamp', what) : null,
    txHash:
      prev !== undefined && o.transactionHash === prev.txHash
        ? prev.txHash
        : hexOf(o, 'transactionHash', what, 32),
    txIndex: quantityOf(o, 'transactionIndex', what),
    logIndex: quantityOf(o, 'logIndex', what),
  };
}

/** `parseLog` over a whole `eth_getLogs` answer, each log lending its hashes to the next. */
export function parseLogs(raw: readonly unknown[]): ChainLog[] {
  const out: ChainLog[] = new Array(raw.length);
  let prev: ChainLog | undefined;
  for (let i = 0; i < raw.length; i++) {
    prev = parseLogAfter(raw[i], prev);
    out[i] = prev;
  }
  return out;
}

/** Checks one raw `eth_getBlockBy*` answer (without transactions). */
export function parseHeader(raw: unknown, asked: string): ChainHeader {
  const what = `block ${asked}: malformed header`;
  if (typeof raw !== 'object' || raw === null) fail(`block ${asked}`, 'not found', raw);
  const o = raw as Record<string, unknown>;
  return {
    number: quantityOf(o, 'number', what),
    hash: hexOf(o, 'hash', what, 32),
    parentHash: hexOf(o, 'parentHash', what, 32),
    timestamp: quantityOf(o, 'timestamp', what),
  };
}

/**
 * Checks a whole `eth_getLogs` answer for `[fromBlock, toBlock]` (ponder's validateLogsAndBlock, for
 * ranges): sorted, no duplicates, inside the range, from an asked address, and one hash per block
 * number. When `block` is given (a by-hash query), every log must belong to exactly that block.
 * Throws RPC_INCONSISTENT (retryable) otherwise.
 */
export function checkLogs(
  logs: readonly ChainLog[],
  range: { readonly fromBlock: number; readonly toBlock: number },
  addresses: ReadonlySet<string>,
  block?: { readonly number: number; readonly hash: Hex },
): void {
  let prev: ChainLog | undefined;
  const inconsistent = (l: ChainLog, why: string): never => {
    throw new TickstreamError(
      'RPC_INCONSISTENT',
      `eth_getLogs ${range.fromBlock}..${range.toBlock}: ${why}`,
      {
        retryable: true,
        details: { blockNumber: l.blockNumber, logIndex: l.logIndex, blockHash: l.blockHash },
      },
    );
  };
  for (const l of logs) {
    if (l.blockNumber < range.fromBlock || l.blockNumber > range.toBlock)
      inconsistent(l, `log of block ${l.blockNumber} outside the range`);
    if (!addresses.has(l.address)) inconsistent(l, `log from ${l.address}, an address not asked for`);
    if (block !== undefined && (l.blockHash !== block.hash || l.blockNumber !== block.number)) {
      inconsistent(
        l,
        `log claims block ${l.blockNumber} ${l.blockHash}, but block ${block.number} is ${block.hash}`,
      );
    }
    if (prev !== undefined) {
      if (prev.blockNumber === l.blockNumber) {
        if (prev.blockHash !== l.blockHash) inconsistent(l, `two hashes for block ${l.blockNumber}`);
        if (prev.logIndex >= l.logIndex)
          inconsistent(l, `logs of block ${l.blockNumber} out of order or duplicated at ${l.logIndex}`);
      } else if (prev.blockNumber > l.blockNumber) inconsistent(l, `blocks out of order at ${l.blockNumber}`);
    }
    prev = l;
  }
}
