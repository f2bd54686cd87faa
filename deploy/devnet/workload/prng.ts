/**
 * A seeded pseudo-random generator (mulberry32): the same seed always yields the same sequence, on
 * every machine. The workload draws every choice from one of these; it never calls `Math.random`.
 *
 * @example
 * const rng = createRng(42);
 * rng.int(0, 9); // an integer in [0, 9]
 */
export interface Rng {
  /** A float in [0, 1). */
  next(): number;
  /** An integer in [min, max] (both included). */
  int(min: number, max: number): number;
  /** True with probability `p`. */
  chance(p: number): boolean;
  /** One element of a non-empty array. */
  pick<T>(items: readonly T[]): T;
  /** A key drawn with probability proportional to its weight (weights ≥ 0, at least one > 0). */
  weighted<K extends string>(weights: Readonly<Record<K, number>>): K;
  /** A bigint in [min, max] (both included), uniform enough for sizing amounts. */
  bigint(min: bigint, max: bigint): bigint;
}

export function createRng(seed: number): Rng {
  let state = seed >>> 0;
  const next = (): number => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  const int = (min: number, max: number): number => min + Math.floor(next() * (max - min + 1));
  return {
    next,
    int,
    chance: (p) => next() < p,
    pick: <T>(items: readonly T[]): T => {
      if (items.length === 0) throw new RangeError('pick from an empty array');
      return items[int(0, items.length - 1)] as T;
    },
    weighted: <K extends string>(weights: Readonly<Record<K, number>>): K => {
      const entries = Object.entries(weights) as [K, number][];
      const total = entries.reduce((sum, [, w]) => sum + w, 0);
      let r = next() * total;
      for (const [key, w] of entries) {
        r -= w;
        if (r < 0 && w > 0) return key;
      }
      const last = entries.findLast(([, w]) => w > 0);
      if (last === undefined) throw new RangeError('weighted pick with no positive weight');
      return last[0];
    },
    bigint: (min, max) => {
      const span = max - min + 1n;
      // 53 random bits are plenty for sizing; spread them over the span.
      const r = BigInt(Math.floor(next() * 2 ** 26)) * 2n ** 27n + BigInt(Math.floor(next() * 2 ** 27));
      return min + (span * r) / 2n ** 53n;
    },
  };
}
