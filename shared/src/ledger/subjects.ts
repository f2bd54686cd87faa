import type { Partition } from './entry';
import type { Hex } from './position';

/** One JetStream stream per chain. */
export function streamName(prefix: string, chainId: number): string {
  return `${prefix}_${chainId}`;
}

/** The subject root of a chain's stream; entries go to `<root>.<partition>`. */
export function subjectRoot(prefix: string, chainId: number): string {
  return `${prefix.toLowerCase()}.${chainId}`;
}

export function partitionSubject(prefix: string, chainId: number, partition: Partition): string {
  return `${subjectRoot(prefix, chainId)}.${partition === 'tokens' ? 'tokens' : `p${partition}`}`;
}

/** Every partition of a chain with `count` pool partitions, in the order seals are published. */
export function allPartitions(count: number): Partition[] {
  const out: Partition[] = [];
  for (let p = 0; p < count; p++) out.push(p);
  out.push('tokens');
  return out;
}

/**
 * The pool partition of an address: FNV-1a over the 20 address bytes, mod `count`. Stable across
 * processes and versions; changing it means rebuilding the ledger.
 *
 * @example partitionOfAddress('0x8ad599c3a0ff1de082011efddc58f1908eb6e6d8', 4) // 0..3
 */
export function partitionOfAddress(address: Hex, count: number): number {
  let h = 0x811c9dc5;
  for (let i = 2; i < 42; i += 2) {
    h ^= (nibble(address.charCodeAt(i)) << 4) | nibble(address.charCodeAt(i + 1));
    h = Math.imul(h, 0x01000193) >>> 0;
  }
  return h % count;
}

/** The value of one hex digit (either case); the address is checked hex. One per log: no slicing. */
function nibble(c: number): number {
  return c <= 57 ? c - 48 : (c | 32) - 87;
}
