import { allPartitions, type Partition } from '@tickstream/shared';
import { describe, expect, it } from 'vitest';
import { type AssignmentView, planFor, quotas } from './plan';

const FIVE = allPartitions(4); // 0..3 and tokens

function view(members: string[], owners: Record<string, string>, partitions = FIVE): AssignmentView {
  return { partitions, members, owners: new Map(Object.entries(owners)) };
}

/** Runs every member's plan until nothing changes (claims in member order, releases at once). */
function settle(start: AssignmentView): { owners: Map<string, string>; moved: number } {
  const owners = new Map(start.owners);
  const initial = new Map(start.owners);
  for (let round = 0; round < 20; round++) {
    let changed = false;
    for (const m of start.members) {
      const plan = planFor({ ...start, owners }, m);
      for (const p of plan.release) {
        owners.delete(String(p));
        changed = true;
      }
      for (const p of plan.claim) {
        if (owners.has(String(p))) continue;
        owners.set(String(p), m);
        changed = true;
      }
    }
    if (!changed) break;
  }
  let moved = 0;
  for (const [p, m] of initial) if (owners.get(p) !== m) moved++;
  return { owners, moved };
}

function counts(owners: Map<string, string>): Record<string, number> {
  const out: Record<string, number> = {};
  for (const m of owners.values()) out[m] = (out[m] ?? 0) + 1;
  return out;
}

describe('quotas', () => {
  it('default: they add up to the partitions; the extra ones go to members that run most', () => {
    const q = quotas(view(['a', 'b'], { 0: 'b', 1: 'b', 2: 'b', 3: 'b', tokens: 'b' }));
    expect(Object.fromEntries(q)).toEqual({ b: 3, a: 2 });
  });

  it('behavior: ties go by id; more members than partitions get 0', () => {
    expect(Object.fromEntries(quotas(view(['c', 'a', 'b'], {}, [0, 1])))).toEqual({ a: 1, b: 1, c: 0 });
  });
});

describe('planFor', () => {
  it('default: alone, a member claims every partition, best scores first', () => {
    const plan = planFor(view(['a'], {}), 'a');
    expect(plan.quota).toBe(5);
    expect([...plan.claim].sort()).toEqual([...FIVE].sort());
  });

  it('behavior: a member not yet seen in the member list counts itself', () => {
    expect(planFor(view([], {}), 'a').claim).toHaveLength(5);
  });

  it('behavior: a second member joins: 5 partitions split 3/2, only 2 move', () => {
    const all = { 0: 'a', 1: 'a', 2: 'a', 3: 'a', tokens: 'a' };
    const plan = planFor(view(['a', 'b'], all), 'a');
    expect(plan).toMatchObject({ quota: 3, claim: [] });
    expect(plan.release).toHaveLength(2);
    expect(planFor(view(['a', 'b'], all), 'b')).toEqual({ quota: 2, claim: [], release: [] }); // nothing free yet
    const { owners, moved } = settle(view(['a', 'b'], all));
    expect(counts(owners)).toEqual({ a: 3, b: 2 });
    expect(moved).toBe(2);
  });

  it('behavior: a member dies: the survivors take its partitions, theirs stay', () => {
    const before = { 0: 'a', 1: 'b', 2: 'c', 3: 'a', tokens: 'b' };
    const after = Object.fromEntries(Object.entries(before).filter(([, m]) => m !== 'c'));
    const { owners, moved } = settle(view(['a', 'b'], after));
    expect(owners.size).toBe(5);
    expect(moved).toBe(0);
    expect(Object.values(counts(owners)).sort()).toEqual([2, 3]);
  });

  it('behavior: balanced for any number of members, and stable once balanced', () => {
    const partitions: Partition[] = allPartitions(15);
    for (let n = 1; n <= 7; n++) {
      const members = Array.from({ length: n }, (_, i) => `m${i}`);
      const { owners } = settle(view(members, {}, partitions));
      expect(owners.size).toBe(16);
      const c = Object.values(counts(owners));
      expect(Math.max(...c) - Math.min(...c)).toBeLessThanOrEqual(1);
      expect(settle({ partitions, members, owners }).moved).toBe(0);
    }
  });

  it('behavior: a third member joins 3/2: it takes one from each, nothing else moves', () => {
    const start = view(['a', 'b', 'c'], { 0: 'a', 1: 'a', 2: 'a', 3: 'b', tokens: 'b' });
    const { owners, moved } = settle(start);
    expect(counts(owners)).toEqual({ a: 2, b: 2, c: 1 });
    expect(moved).toBe(1);
  });
});
