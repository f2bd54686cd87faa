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
const QUANTITY = /^0x[0-9a-fA-F]{1,13}$/;

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

function quantityOf(o: Record<string, unknown>, key: string, what: string): number {
  const v = o[key];
  if (typeof v !== 'string' || !QUANTITY.test(v)) fail(what, `${key} is not a hex quantity: ${v}`, o);
  return Number(v);
}

const LOG = 'eth_getLogs returned a malformed log';

/**
 * Checks one raw `eth_getLogs` entry and converts it. Throws RPC_MALFORMED (retryable) naming the field:
 * such a log must never reach the ledger.
 */
export function parseLog(raw: unknown): ChainLog {
  const what = LOG;
  if (typeof raw !== 'object' || raw === null) fail(what, 'not an object', raw);
  const o = raw as Record<string, unknown>;
  if (o.removed === true) fail(what, 'removed is true (log of an orphaned block)', o);
  const rawTopics = o.topics;
  if (!Array.isArray(rawTopics) || rawTopics.length > 4) fail(what, 'topics is not an array of up to 4', o);
  const topics: Hex[] = new Array(rawTopics.length);
  for (let i = 0; i < rawTopics.length; i++) {
    const t: unknown = rawTopics[i];
    if (typeof t !== 'string' || t.length !== 66 || !HEX.test(t)) {
      fail(what, `topic is not 32-byte hex: ${String(t)}`, o);
    }
    topics[i] = (LOWER_HEX.test(t) ? t : t.toLowerCase()) as Hex;
  }
  const data = hexOf(o, 'data', what);
  if (data.length % 2 !== 0) fail(what, 'data has an odd number of hex digits', o);
  const ts = o.blockTimestamp;
  return {
    address: hexOf(o, 'address', what, 20),
    topics,
    data,
    blockNumber: quantityOf(o, 'blockNumber', what),
    blockHash: hexOf(o, 'blockHash', what, 32),
    blockTimestamp: typeof ts === 'string' ? quantityOf(o, 'blockTimestamp', what) : null,
    txHash: hexOf(o, 'transactionHash', what, 32),
    txIndex: quantityOf(o, 'transactionIndex', what),
    logIndex: quantityOf(o, 'logIndex', what),
  };
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
  for (const l of logs) {
    const bad = (why: string) => {
      throw new TickstreamError(
        'RPC_INCONSISTENT',
        `eth_getLogs ${range.fromBlock}..${range.toBlock}: ${why}`,
        {
          retryable: true,
          details: { blockNumber: l.blockNumber, logIndex: l.logIndex, blockHash: l.blockHash },
        },
      );
    };
    if (l.blockNumber < range.fromBlock || l.blockNumber > range.toBlock)
      bad(`log of block ${l.blockNumber} outside the range`);
    if (!addresses.has(l.address)) bad(`log from ${l.address}, an address not asked for`);
    if (block !== undefined && (l.blockHash !== block.hash || l.blockNumber !== block.number)) {
      bad(`log claims block ${l.blockNumber} ${l.blockHash}, but block ${block.number} is ${block.hash}`);
    }
    if (prev !== undefined) {
      if (prev.blockNumber === l.blockNumber) {
        if (prev.blockHash !== l.blockHash) bad(`two hashes for block ${l.blockNumber}`);
        if (prev.logIndex >= l.logIndex)
          bad(`logs of block ${l.blockNumber} out of order or duplicated at ${l.logIndex}`);
      } else if (prev.blockNumber > l.blockNumber) bad(`blocks out of order at ${l.blockNumber}`);
    }
    prev = l;
  }
}
