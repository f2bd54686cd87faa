import { leastSignificantBit, mostSignificantBit, POW2 } from './bit-math';
import { MAX_UINT256 } from './constants';
import { ensure } from './ensure';

/** Per bit position b: the bits at or right of b, and the bits at or left of b (no bigint made per call). */
const AT_OR_RIGHT: readonly bigint[] = POW2.map((bit) => bit - 1n + bit);
const AT_OR_LEFT: readonly bigint[] = POW2.map((bit) => MAX_UINT256 ^ (bit - 1n));

/**
 * The tick bitmap: one bit per spaced tick (tick ÷ tickSpacing), 256 bits per word, keyed by the int16 word
 * position. Words that become zero are deleted, which is what the contract's zeroed storage slot means.
 */
export type TickBitmap = Map<number, bigint>;

/** The result of nextInitializedTickWithinOneWord. */
export interface NextTick {
  /** The next initialized tick, or the last tick of the word searched when none is. */
  next: number;
  initialized: boolean;
}

/**
 * TickBitmap.position: the word (tick >> 8) and the bit (tick mod 256) of a compressed tick.
 *
 * @example
 * position(-1); // { wordPos: -1, bitPos: 255 }
 */
export function position(compressedTick: number): { wordPos: number; bitPos: number } {
  return { wordPos: compressedTick >> 8, bitPos: compressedTick & 0xff };
}

/**
 * TickBitmap.flipTick: toggle the initialized bit of `tick`. Throws unless the tick is a multiple of
 * `tickSpacing`. Returns the word position it changed.
 *
 * @example
 * const bitmap: TickBitmap = new Map();
 * flipTick(bitmap, -60, 60); // bitmap.get(-1) === 1n << 255n
 */
export function flipTick(bitmap: TickBitmap, tick: number, tickSpacing: number): number {
  ensure(tick % tickSpacing === 0, 'TickBitmap: tick is not a multiple of the tick spacing');
  const compressed = tick / tickSpacing;
  const wordPos = compressed >> 8;
  const word = (bitmap.get(wordPos) ?? 0n) ^ POW2[compressed & 0xff]!;
  if (word === 0n) bitmap.delete(wordPos);
  else bitmap.set(wordPos, word);
  return wordPos;
}

/**
 * TickBitmap.nextInitializedTickWithinOneWord: the next initialized tick at or left of `tick` (`lte`) or
 * strictly right of it, looking only in the word that holds it (so a swap step never reads two words).
 *
 * @example
 * nextInitializedTickWithinOneWord(bitmap, 78, 1, false); // { next: 84, initialized: true } if 84 is set
 */
export function nextInitializedTickWithinOneWord(
  bitmap: TickBitmap,
  tick: number,
  tickSpacing: number,
  lte: boolean,
): NextTick {
  let compressed = Math.trunc(tick / tickSpacing);
  if (tick < 0 && tick % tickSpacing !== 0) compressed--; // round towards negative infinity

  if (lte) {
    const bitPos = compressed & 0xff;
    const masked = (bitmap.get(compressed >> 8) ?? 0n) & AT_OR_RIGHT[bitPos]!;
    const initialized = masked !== 0n;
    const next = initialized
      ? (compressed - (bitPos - mostSignificantBit(masked))) * tickSpacing
      : (compressed - bitPos) * tickSpacing;
    return { next, initialized };
  }

  // start from the word of the next tick: the current tick's own state does not matter
  const start = compressed + 1;
  const bitPos = start & 0xff;
  const masked = (bitmap.get(start >> 8) ?? 0n) & AT_OR_LEFT[bitPos]!;
  const initialized = masked !== 0n;
  const next = initialized
    ? (start + (leastSignificantBit(masked) - bitPos)) * tickSpacing
    : (start + (255 - bitPos)) * tickSpacing;
  return { next, initialized };
}
