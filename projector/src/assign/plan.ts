import { createHash } from 'node:crypto';
import type { Partition } from '@tickstream/shared';

/** What a member knows of the assignment: every partition, the live members, who claims what. */
export interface AssignmentView {
  readonly partitions: readonly Partition[];
  /** Ids of the live members (registered under their lease). */
  readonly members: readonly string[];
  /** Partition (as a string) → id of the member whose claim is in etcd. Absent: free. */
  readonly owners: ReadonlyMap<string, string>;
}

/** What one member should do now: claim free partitions, release some of its own. */
export interface Plan {
  /** How many partitions this member should run. */
  readonly quota: number;
  /** Free partitions to claim, best first (another member may win some of them). */
  readonly claim: Partition[];
  /** Own partitions to hand over (the ones this member likes least). */
  readonly release: Partition[];
}

/**
 * The rendezvous (highest random weight) score of `member` for `partition`: every member computes the
 * same number, and a member's preferences do not change when others join or leave.
 *
 * @example score(2, 'projector-a') === score(2, 'projector-a')
 */
export function score(partition: Partition, member: string): number {
  return createHash('sha256').update(`${partition}\u0000${member}`).digest().readUInt32BE(0);
}

/**
 * Every member's quota: partitions / members, rounded down, plus one for the first `partitions mod
 * members` members ranked by how many partitions they run now (most first, then by id). Ranking by what
 * members run keeps the partitions where they are: five partitions on one member, a second joins, the
 * first keeps three and hands over two. The quotas add up to the partition count.
 *
 * @example
 * quotas({ partitions: [0, 1, 2, 3, 'tokens'], members: ['a', 'b'], owners }); // Map { a => 3, b => 2 } when a runs all
 */
export function quotas(view: AssignmentView): Map<string, number> {
  const members = [...new Set(view.members)];
  const out = new Map<string, number>();
  if (members.length === 0) return out;
  const owned = ownedCounts(view);
  members.sort((a, b) => (owned.get(b) ?? 0) - (owned.get(a) ?? 0) || (a < b ? -1 : a > b ? 1 : 0));
  const base = Math.floor(view.partitions.length / members.length);
  const extra = view.partitions.length % members.length;
  for (const [i, m] of members.entries()) out.set(m, base + (i < extra ? 1 : 0));
  return out;
}

/**
 * What member `me` should do: above its quota, release the partitions it scores lowest; below it, claim
 * free partitions it scores highest. `me` counts as a member even before its own registration is seen.
 * A pure function of the view: members that see the same view agree, and each only ever touches its
 * own claims and free partitions, so views that briefly differ cost a retry, never a double owner
 * (claims are put-if-absent).
 *
 * @example
 * planFor({ partitions: [0, 1, 2], members: ['a', 'b'], owners: new Map([['0', 'a'], ['1', 'a'], ['2', 'a']]) }, 'a');
 * // { quota: 2, claim: [], release: [the one of 0, 1, 2 that 'a' scores lowest] }
 */
export function planFor(view: AssignmentView, me: string): Plan {
  const withMe = view.members.includes(me) ? view : { ...view, members: [...view.members, me] };
  const quota = quotas(withMe).get(me) ?? 0;
  const mine = view.partitions.filter((p) => view.owners.get(String(p)) === me);
  const byScore = (a: Partition, b: Partition) => score(b, me) - score(a, me);
  if (mine.length > quota) {
    return { quota, claim: [], release: [...mine].sort(byScore).slice(quota).reverse() };
  }
  const free = view.partitions.filter((p) => !view.owners.has(String(p))).sort(byScore);
  return { quota, claim: free.slice(0, quota - mine.length), release: [] };
}

function ownedCounts(view: AssignmentView): Map<string, number> {
  const out = new Map<string, number>();
  for (const m of view.owners.values()) out.set(m, (out.get(m) ?? 0) + 1);
  return out;
}
