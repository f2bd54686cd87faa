import { describe, expect, it } from 'vitest';
import { TokenBucket } from './bucket';

/** Takes as many tokens as the bucket gives over `ms`, asking every millisecond from `t0`. */
function takenOver(b: TokenBucket, t0: number, ms: number): number {
  let n = 0;
  for (let t = t0; t < t0 + ms; t++) while (b.tryTake(t)) n++;
  return n;
}

describe('TokenBucket', () => {
  it('default: unlimited until told otherwise', () => {
    const b = new TokenBucket(null, 0);
    expect(b.rate).toBe(Number.POSITIVE_INFINITY);
    for (let i = 0; i < 1_000; i++) expect(b.tryTake(0)).toBe(true);
    expect(b.msUntilToken(0)).toBe(0);
  });

  it('behavior: a configured rate is honoured, with at most one second of burst', () => {
    const b = new TokenBucket(10, 0);
    expect(takenOver(b, 0, 1)).toBe(10); // the initial second of tokens
    expect(b.tryTake(1)).toBe(false);
    expect(b.msUntilToken(1)).toBeGreaterThan(0);
    expect(b.msUntilToken(1)).toBeLessThanOrEqual(100);
    expect(takenOver(b, 1, 2_000)).toBeGreaterThanOrEqual(19);
    expect(takenOver(b, 1, 2_000)).toBeLessThanOrEqual(21);
  });

  it('behavior: a rate limit halves the rate, once per second at most', () => {
    const b = new TokenBucket(40, 0);
    b.onRateLimited(0);
    expect(b.rate).toBe(20);
    b.onRateLimited(10); // the same burst of 429s
    expect(b.rate).toBeCloseTo(20, 0);
    b.onRateLimited(1_200);
    expect(b.rate).toBeLessThan(11);
  });

  it('behavior: the rate recovers slowly, up to the configured ceiling', () => {
    const b = new TokenBucket(40, 0);
    b.onRateLimited(0);
    b.tryTake(1_000);
    expect(b.rate).toBeGreaterThan(20);
    expect(b.rate).toBeLessThan(22); // ~5 % a second
    b.tryTake(60_000);
    expect(b.rate).toBe(40);
  });

  it('behavior: an unlimited provider that rate-limits us gets half of what it was sent', () => {
    const b = new TokenBucket(null, 0);
    for (let t = 0; t < 1_000; t += 10) b.tryTake(t); // 100 calls in the first second
    for (let t = 1_000; t < 1_500; t += 10) b.tryTake(t);
    b.onRateLimited(1_500);
    expect(b.rate).toBeGreaterThanOrEqual(40);
    expect(b.rate).toBeLessThanOrEqual(60);
    expect(b.tryTake(1_500)).toBe(false); // the bucket starts empty after a cut
    expect(b.msUntilToken(1_500)).toBeGreaterThan(0);
  });

  it('behavior: never below half a call per second', () => {
    const b = new TokenBucket(1, 0);
    for (let t = 0; t < 10_000; t += 1_000) b.onRateLimited(t);
    expect(b.rate).toBeGreaterThanOrEqual(0.5);
  });
});
