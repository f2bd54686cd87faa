import { describe, expect, it } from 'vitest';
import { RangeSizer } from './ranges';

const opts = { maxBlocks: 1_000, targetLogs: 100, maxLogs: 400 };

/** Drives a sizer against a provider that refuses ranges wider than `limit`; returns the refusals. */
function against(s: RangeSizer, limit: number, ranges: number): number {
  let refused = 0;
  for (let i = 0; i < ranges; i++) {
    const w = s.size;
    if (w > limit) {
      refused++;
      s.tooLarge(w);
    } else s.answered(w, 1);
  }
  return refused;
}

describe('RangeSizer', () => {
  it('default: starts at the largest range', () => {
    expect(new RangeSizer(opts).size).toBe(1_000);
  });

  it('args: firstBlocks: starts small and doubles while answers are small, up to the largest', () => {
    const s = new RangeSizer({ ...opts, firstBlocks: 16 });
    expect(s.size).toBe(16);
    const sizes: number[] = [];
    for (let i = 0; i < 8; i++) {
      s.answered(s.size, 1);
      sizes.push(s.size);
    }
    expect(sizes).toEqual([32, 64, 128, 256, 512, 1_000, 1_000, 1_000]);
    expect(new RangeSizer({ ...opts, firstBlocks: 5_000 }).size).toBe(1_000);
  });

  it('behavior: with firstBlocks, growth stops at the answers that reach the target', () => {
    const s = new RangeSizer({ ...opts, firstBlocks: 4 });
    const perBlock = 5; // 100 logs (the target) at 20 blocks
    for (let i = 0; i < 10; i++) s.answered(s.size, s.size * perBlock);
    expect(s.size).toBe(32); // 16 blocks (80 logs) grew once more; 32 (160 logs) holds
  });

  it('behavior: "range too large" halves the range the provider refused', () => {
    const s = new RangeSizer(opts);
    s.tooLarge(1_000);
    expect(s.size).toBe(500);
    s.tooLarge(1_000); // a stale, wider range refused later does not grow it back
    expect(s.size).toBe(500);
    s.tooLarge(500);
    expect(s.size).toBe(250);
    expect(s.smallest).toBe(250);
  });

  it('behavior: against a fixed limit it settles on the limit after a few refusals', () => {
    const s = new RangeSizer(opts);
    const refused = against(s, 16, 40);
    expect(s.size).toBe(16);
    expect(refused).toBeLessThanOrEqual(10);
    expect(against(s, 16, 40)).toBe(0); // settled: no refusal every other range
  });

  it('behavior: a remembered refusal is relaxed after many small answers (the density changes)', () => {
    const s = new RangeSizer(opts);
    against(s, 16, 40);
    expect(against(s, 16, 300)).toBeLessThanOrEqual(20); // a few probes per 100 ranges, not one in two
    against(s, 1_000, 500);
    expect(s.size).toBe(1_000);
  });

  it('behavior: a width once fine and now refused halves quickly', () => {
    const s = new RangeSizer(opts);
    against(s, 256, 30);
    expect(s.size).toBe(256);
    const refused = against(s, 20, 30);
    expect(s.size).toBe(20);
    expect(refused).toBeLessThanOrEqual(8);
  });

  it('behavior: an answer over the log budget halves what follows', () => {
    const s = new RangeSizer(opts);
    s.answered(1_000, 401);
    expect(s.size).toBe(500);
    s.answered(500, 200); // between target and budget: keep
    expect(s.size).toBe(500);
  });

  it('behavior: small whole-size answers grow the range back, a short last range says nothing', () => {
    const s = new RangeSizer(opts);
    s.answered(1_000, 401);
    s.answered(500, 401);
    expect(s.size).toBe(250);
    s.answered(20, 0);
    expect(s.size).toBe(250);
    s.answered(250, 0);
    expect(s.size).toBe(500);
  });

  it('behavior: never below one block', () => {
    const s = new RangeSizer(opts);
    for (let i = 0; i < 20; i++) s.tooLarge(s.size);
    expect(s.size).toBe(1);
  });
});
