/**
 * Hand-written ABI word readers over hex strings, for the hot path: a log's topics are 32-byte words and
 * its data is a run of them. Each reader takes the 64 hex digits of one word (no `0x`).
 */

const TWO_256 = 1n << 256n;

/**
 * Word `i` (0-based) of `data` ('0x' + 64·n hex digits), without the prefix.
 *
 * @example dataWord(log.data, 1) // the second 32-byte word, 64 hex digits
 */
export function dataWord(data: string, i: number): string {
  return data.slice(2 + 64 * i, 66 + 64 * i);
}

/**
 * A topic's 64 hex digits, without the prefix.
 *
 * @example topicWord(log.topics[1]) // '000…0a11ce'
 */
export function topicWord(topic: string): string {
  return topic.slice(2);
}

/**
 * uint256 (or any narrower uint) as a bigint.
 *
 * @example uint('0'.repeat(63) + 'f') === 15n
 */
export function uint(word: string): bigint {
  return BigInt(`0x${word}`);
}

/**
 * int256 as a bigint: two's complement over 256 bits.
 *
 * @example int256('f'.repeat(64)) === -1n
 */
export function int256(word: string): bigint {
  const v = BigInt(`0x${word}`);
  return word.charCodeAt(0) >= 56 /* '8' */ ? v - TWO_256 : v;
}

/**
 * A uint up to 48 bits (uint8/16/24) as a number, from the low bytes of the word.
 *
 * @example smallUint('0'.repeat(60) + '0bb8') === 3000
 */
export function smallUint(word: string): number {
  return Number.parseInt(word.slice(52), 16);
}

/**
 * int24 as a number (ABI sign-extends it to 256 bits; the low 24 bits carry it).
 *
 * @example int24('f'.repeat(62) + 'c4') === -60
 */
export function int24(word: string): number {
  const v = Number.parseInt(word.slice(58), 16);
  return v >= 0x800000 ? v - 0x1000000 : v;
}

/**
 * An address, lowercased with `0x`, from the low 20 bytes of the word.
 *
 * @example address(topicWord(log.topics[1])) // '0x…' (40 hex digits, lowercase)
 */
export function address(word: string): `0x${string}` {
  return `0x${word.slice(24).toLowerCase()}`;
}

/** Most addresses `topicAddress` keeps: owners, senders and recipients recur (routers, the position manager). */
const TOPIC_ADDRESS_CACHE_SIZE = 4096;
const topicAddresses = new Map<string, `0x${string}`>();

/**
 * `address(topicWord(topic))`, kept for the topics seen lately: the ledger decoder hands out the same
 * string for a topic it saw lately, so a repeated owner costs one lookup instead of three strings. The
 * address is made flat once (a concatenation is a tree of pieces until read) since positions keep it.
 *
 * @example topicAddress(log.topics[1]) // '0x…' (40 hex digits, lowercase)
 */
export function topicAddress(topic: string): `0x${string}` {
  let a = topicAddresses.get(topic);
  if (a === undefined) {
    a = address(topicWord(topic));
    a.charCodeAt(0);
    if (topicAddresses.size >= TOPIC_ADDRESS_CACHE_SIZE) topicAddresses.clear();
    topicAddresses.set(topic, a);
  }
  return a;
}
