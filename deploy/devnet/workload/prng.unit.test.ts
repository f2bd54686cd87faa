import { describe, expect, it } from 'vitest';
import { createRng } from './prng';

describe('createRng', () => {
  it('default: the same seed gives the same sequence', () => {
    const a = createRng(42);
    const b = createRng(42);
    const xs = Array.from({ length: 100 }, () => a.next());
    expect(Array.from({ length: 100 }, () => b.next())).toEqual(xs);
    expect(new Set(xs).size).toBe(100);
  });

  it('behavior: different seeds give different sequences', () => {
    expect(createRng(1).next()).not.toBe(createRng(2).next());
  });

  it('behavior: pinned values (a change of generator changes every workload)', () => {
    const rng = createRng(42);
    expect([rng.int(0, 1_000_000), rng.int(0, 1_000_000), rng.int(0, 1_000_000)]).toMatchInlineSnapshot(`
      [
        601104,
        448291,
        852466,
      ]
    `);
  });

  it('args: int, bigint and pick stay in range', () => {
    const rng = createRng(7);
    for (let i = 0; i < 2000; i++) {
      const n = rng.int(-3, 3);
      expect(n).toBeGreaterThanOrEqual(-3);
      expect(n).toBeLessThanOrEqual(3);
      const b = rng.bigint(10n, 10n ** 30n);
      expect(b >= 10n && b <= 10n ** 30n).toBe(true);
      expect(['a', 'b']).toContain(rng.pick(['a', 'b']));
    }
  });

  it('args: weighted never picks a zero weight and follows the weights', () => {
    const rng = createRng(3);
    const counts = { a: 0, b: 0, c: 0 };
    for (let i = 0; i < 10_000; i++) counts[rng.weighted({ a: 1, b: 3, c: 0 })]++;
    expect(counts.c).toBe(0);
    expect(counts.b / counts.a).toBeGreaterThan(2.5);
    expect(counts.b / counts.a).toBeLessThan(3.5);
  });

  it('error: pick from an empty array', () => {
    expect(() => createRng(1).pick([])).toThrow(RangeError);
  });
});
