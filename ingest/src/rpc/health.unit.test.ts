import { describe, expect, it } from 'vitest';
import { type Candidate, newHealth, rankProviders, recordFailure, recordSuccess, scoreOf } from './health';

const tuning = { cooldownMs: 1_000, maxCooldownMs: 8_000, demoteMs: 60_000 };

describe('health', () => {
  it('default: latency is an EWMA of answers; successes pull the error rate down', () => {
    const h = newHealth();
    recordSuccess(h, 100);
    expect(h.latencyMs).toBe(100);
    recordSuccess(h, 200);
    expect(h.latencyMs).toBeCloseTo(120);
    recordFailure(h, 'rpc', 10, 0, tuning);
    const after = h.errorRate;
    recordSuccess(h, 100);
    expect(h.errorRate).toBeLessThan(after);
    expect(h.inARow).toBe(0);
  });

  it('behavior: failures in a row cool the provider down for longer and longer, up to the max', () => {
    const h = newHealth();
    const cools = [1, 2, 3, 4, 5].map((i) => {
      recordFailure(h, 'timeout', 1_000, i * 100_000, tuning);
      return h.coolUntil - i * 100_000;
    });
    expect(cools).toEqual([1_000, 2_000, 4_000, 8_000, 8_000]);
  });

  it('behavior: bad data demotes: long cool-down, doubled per demotion, error rate 1', () => {
    const h = newHealth();
    recordFailure(h, 'bad-data', 5, 0, tuning);
    expect(h.coolUntil).toBe(60_000);
    expect(h.errorRate).toBe(1);
    recordFailure(h, 'bad-data', 5, 100_000, tuning);
    expect(h.coolUntil).toBe(220_000);
    expect(h.demotions).toBe(2);
  });

  it('behavior: a range too large is no fault; a rate limit only honours Retry-After', () => {
    const h = newHealth();
    recordFailure(h, 'range-too-large', 5, 0, tuning);
    recordFailure(h, 'rate-limit', 5, 0, tuning);
    expect(h.coolUntil).toBe(0);
    expect(h.errorRate).toBe(0);
    recordFailure(h, 'rate-limit', 5, 0, tuning, 3_000);
    expect(h.coolUntil).toBe(3_000);
    expect(h.counts['rate-limit']).toBe(2);
  });

  it('behavior: score grows with latency, errors and calls in flight, and shrinks with weight', () => {
    const fast = newHealth();
    recordSuccess(fast, 10);
    const slow = newHealth();
    recordSuccess(slow, 100);
    expect(scoreOf(fast, 1)).toBeLessThan(scoreOf(slow, 1));
    expect(scoreOf(slow, 20)).toBeLessThan(scoreOf(fast, 1));
    const busy = newHealth();
    recordSuccess(busy, 10);
    busy.inflight = 3;
    expect(scoreOf(busy, 1)).toBeGreaterThan(scoreOf(fast, 1));
    const flaky = newHealth();
    recordSuccess(flaky, 10);
    recordFailure(flaky, 'rpc', 10, 0, tuning);
    expect(scoreOf(flaky, 1)).toBeGreaterThan(scoreOf(fast, 1));
    expect(scoreOf(newHealth(), 1)).toBeLessThan(scoreOf(fast, 1)); // unmeasured: tried early
  });
});

describe('rankProviders', () => {
  const c = (score: number, coolUntil = 0, behind = false): Candidate => ({ score, coolUntil, behind });

  it('default: by score, skipping providers cooling down and those already tried', () => {
    expect(rankProviders([c(5), c(1), c(3, 2_000), c(2)], 1_000, new Set([3]), true)).toEqual([1, 0]);
  });
  it('behavior: providers known to be behind the block come last', () => {
    expect(rankProviders([c(1, 0, true), c(9)], 0, new Set(), true)).toEqual([1, 0]);
  });
  it('behavior: when all are cooling, the first try takes the one back soonest; a failover takes none', () => {
    const all = [c(1, 5_000), c(2, 3_000), c(3, 4_000)];
    expect(rankProviders(all, 0, new Set(), true)).toEqual([1]);
    expect(rankProviders(all, 0, new Set([0]), false)).toEqual([]);
  });
});
