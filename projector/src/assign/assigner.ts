import { hostname } from 'node:os';
import { setTimeout as delay } from 'node:timers/promises';
import {
  memberValueSchema,
  type PartitionKeys,
  parseValue,
  partitionClaimSchema,
  partitionKeysFor,
} from '@tickstream/coordinator';
import { allPartitions, describeError, type Logger, type Partition } from '@tickstream/shared';
import type { Etcd3, Watcher } from 'etcd3';
import { KeptLease } from './lease';
import { type AssignmentView, planFor } from './plan';

/** What the assigner drives: this process's partition runners. */
export interface AssignedRunners {
  /** The partitions running here now. */
  partitions(): Partition[];
  /** Starts a runner (it loads its checkpoint and model itself); resolves once it runs. */
  start(partition: Partition): Promise<void>;
  /** Stops a runner after its current batch; resolves once it wrote its last. */
  stop(partition: Partition): Promise<void>;
  /** Tells every runner to stop after its current batch, without waiting. */
  abortAll(): void;
  /** Stops every runner; resolves once all wrote their last. */
  stopAll(): Promise<void>;
}

export interface AssignerOptions {
  readonly etcd: Etcd3;
  readonly chainId: number;
  /** Processes share partitions with the members of the same group: `<LEDGER_STREAM_PREFIX>_<PROJECTOR_CONSUMER_NAME>`. */
  readonly group: string;
  readonly memberId: string;
  readonly partitionCount: number;
  readonly leaseTtlS: number;
  readonly log: Logger;
  /** Called when the partitions this process holds change. */
  readonly onOwned?: (owned: Partition[]) => void;
}

/**
 * Shares the partitions of one projector group between processes through etcd. Each process is a
 * member under its own lease (`projector/<group>/members/<id>`) and claims partitions with a
 * put-if-absent of `projector/<group>/partitions/<p>` under that lease: one owner per partition. After
 * any change (a member joins or leaves, a claim appears or goes, the lease turns stale or fresh, and
 * once a second anyway) it reconciles: it reads members and claims at one revision, computes its plan
 * (`planFor`: its quota of partitions/members, rendezvous preferences), releases extras gracefully (the
 * runner stops after its current batch, then the claim is deleted), claims free ones up to its quota and
 * starts their runners from their checkpoints. A dead member's claims lapse with its lease and are
 * taken over that way; so are a frozen member's (SIGSTOP, a paused VM), whose write in progress may still
 * hold the partition's rows in Postgres: the runners then start behind a `TakeoverFence`. When its own
 * lease is stale (no keep-alive answered for TTL/2) every runner stops at once, long before the lease can
 * lapse and another member claim them; a lost lease is replaced by a new one (a new membership).
 * `mayWrite()` is the same test for the runners to check before each write.
 *
 * @example
 * const assigner = await PartitionAssigner.start(runners, { etcd, chainId: 31337, group: 'TICKSTREAM_projector',
 *   memberId: 'projector-a', partitionCount: 4, leaseTtlS: 3, log });
 * // … runners start and stop as members come and go …
 * await assigner.close(); // runners stopped, lease revoked: the others take over at once
 */
export class PartitionAssigner {
  readonly keys: PartitionKeys;
  readonly #runners: AssignedRunners;
  readonly #opts: AssignerOptions;
  readonly #partitions: Partition[];
  #lease: KeptLease | null = null;
  #watcher: Watcher | null = null;
  #owned = new Set<string>();
  #closed = false;
  #running: Promise<void> | null = null;
  #again = false;
  #tick: NodeJS.Timeout | undefined;
  #lastOwned = '';

  private constructor(runners: AssignedRunners, opts: AssignerOptions) {
    this.#runners = runners;
    this.#opts = opts;
    this.keys = partitionKeysFor(opts.chainId, opts.group);
    this.#partitions = allPartitions(opts.partitionCount);
  }

  /**
   * Starts joining the group (lease, member key, claims) in the background, with a watch on the group's
   * keys and a reconcile once a second; etcd being unreachable delays the joining, never the caller.
   */
  static start(runners: AssignedRunners, opts: AssignerOptions): PartitionAssigner {
    const a = new PartitionAssigner(runners, opts);
    void opts.etcd
      .watch()
      .prefix(a.keys.root)
      .create()
      .then((w) => {
        w.on('put', () => a.#trigger());
        w.on('delete', () => a.#trigger());
        w.on('connected', () => a.#trigger());
        a.#watcher = w;
        if (a.#closed) void w.cancel().catch(() => undefined);
      })
      .catch((err: unknown) =>
        opts.log.warn(
          { err: describeError(err) },
          'no watch on the partition keys; reconciling once a second',
        ),
      );
    a.#trigger();
    a.#timer();
    return a;
  }

  /** True while this process surely holds its claims (its lease is fresh): runners may write. */
  mayWrite(): boolean {
    return this.#lease?.fresh === true;
  }

  /** The partitions this process holds a claim on (its runners may still be starting). */
  owned(): Partition[] {
    return this.#partitions.filter((p) => this.#owned.has(String(p)));
  }

  /** Stops every runner (after its current batch), then revokes the lease: the claims go at once. */
  async close(): Promise<void> {
    this.#closed = true;
    clearTimeout(this.#tick);
    this.#runners.abortAll();
    // A reconcile waits on etcd with a deadline and on runners that stop promptly; bounded all the same.
    const bound = this.#boundMs();
    await within(
      this.#running?.catch(() => undefined),
      bound,
    );
    await within(
      this.#watcher?.cancel().catch(() => undefined),
      bound,
    );
    await this.#runners.stopAll();
    await within(this.#lease?.close(), bound); // an unanswered revoke: the lease lapses by itself
    this.#owned.clear();
  }

  /** How long a reconcile waits for etcd or for runners to stop before it gives up (and tries again). */
  #boundMs(): number {
    return Math.max(1_000, (this.#opts.leaseTtlS * 1_000) / 2);
  }

  /** etcd call options: a deadline, so that a frozen etcd cannot hold a reconcile forever. */
  #call(): { deadline: number } {
    return { deadline: Date.now() + this.#boundMs() };
  }

  /** Stops every runner; false if some are still stopping after `#boundMs` (the caller tries again). */
  async #stopAll(why: string): Promise<boolean> {
    this.#runners.abortAll();
    if (await within(this.#runners.stopAll(), this.#boundMs())) return true;
    this.#opts.log.warn(
      { reason: why, stopping: this.#runners.partitions().map(String), waitedMs: this.#boundMs() },
      'partition runners still stopping; trying again',
    );
    return false;
  }

  /** The lease changed: when it is stale (or lost), every runner stops now, whatever a reconcile awaits. */
  #leaseChanged(): void {
    const lease = this.#lease;
    if (lease !== null && !lease.fresh) this.#runners.abortAll();
    this.#trigger();
  }

  #timer(): void {
    if (this.#closed) return;
    this.#tick = setTimeout(() => {
      this.#trigger();
      this.#timer();
    }, 1_000);
  }

  /** Runs a reconcile now, or once more after the one in progress. */
  #trigger(): void {
    if (this.#closed) return;
    if (this.#running !== null) {
      this.#again = true;
      return;
    }
    this.#running = (async () => {
      do {
        this.#again = false;
        try {
          await this.#reconcile();
        } catch (err) {
          this.#opts.log.warn({ err: describeError(err) }, 'partition assignment failed; trying again');
          await delay(200);
          this.#again = true;
        }
      } while (this.#again && !this.#closed);
    })().finally(() => {
      this.#running = null;
    });
  }

  async #reconcile(): Promise<void> {
    const { etcd, log, memberId } = this.#opts;
    const lease = this.#lease;
    if (lease === null || lease.lost) {
      if (lease !== null && !(await this.#dropAll('lease lost'))) {
        this.#again = true;
        return;
      }
      await this.#join();
      return;
    }
    if (!lease.fresh) {
      // Once stopped, the fresh-again keep-alive (or the tick) reconciles and starts them again.
      if (!(await this.#stopAll('lease stale'))) this.#again = true;
      return;
    }
    const view = await this.#read(lease);
    if (!view.members.includes(memberId)) {
      // Our member key is gone (deleted by hand?) while the lease lives: write it again.
      await lease.lease.put(this.keys.member(memberId)).value(this.#memberValue()).options(this.#call());
    }
    // Runners whose claim is gone (deleted by hand): stop them.
    for (const p of this.#runners.partitions()) {
      if (!this.#owned.has(String(p))) {
        log.warn({ partition: String(p) }, 'partition claim gone; stopping its runner');
        await this.#runners.stop(p);
      }
    }
    const plan = planFor(view, memberId);
    for (const p of plan.release) {
      const t0 = performance.now();
      await this.#runners.stop(p);
      await etcd
        .if(this.keys.partition(p), 'Lease', '==', lease.id)
        .then(etcd.delete().key(this.keys.partition(p)))
        .options(this.#call())
        .commit();
      this.#owned.delete(String(p));
      log.info(
        { partition: String(p), quota: plan.quota, stopMs: Math.round(performance.now() - t0) },
        'partition released to rebalance',
      );
    }
    for (const p of plan.claim) {
      if (!lease.fresh) break;
      const key = this.keys.partition(p);
      const res = await etcd
        .if(key, 'Create', '==', 0)
        .then(
          etcd
            .put(key)
            .value(JSON.stringify({ member: memberId, since: new Date().toISOString() }))
            .lease(lease.id),
        )
        .options(this.#call())
        .commit();
      if (res.succeeded) {
        this.#owned.add(String(p));
        log.info(
          { partition: String(p), quota: plan.quota, members: view.members.length },
          'partition claimed',
        );
      }
    }
    if (lease.fresh) {
      const running = new Set(this.#runners.partitions().map(String));
      for (const p of this.owned()) if (!running.has(String(p))) await this.#runners.start(p);
    }
    this.#published();
  }

  /** Calls `onOwned` when the partitions held changed since the last call. */
  #published(): void {
    const owned = this.owned();
    const text = owned.join(',');
    if (text === this.#lastOwned) return;
    this.#lastOwned = text;
    this.#opts.onOwned?.(owned);
  }

  /** Members and claims at one revision; sets `#owned` to the claims under our lease. */
  async #read(lease: KeptLease): Promise<AssignmentView> {
    const res = await this.#opts.etcd.getAll().prefix(this.keys.root).options(this.#call()).exec();
    const leaseOf = new Map<string, string>(); // member id → the lease of its member key
    for (const kv of res.kvs) {
      if (!kv.key.toString().startsWith(this.keys.members)) continue;
      const m = parseValue(memberValueSchema, kv.value.toString());
      if (m !== undefined) leaseOf.set(m.id, kv.lease);
    }
    const members = [...leaseOf.keys()];
    leaseOf.set(this.#opts.memberId, lease.id);
    const owners = new Map<string, string>();
    const owned = new Set<string>();
    for (const kv of res.kvs) {
      const key = kv.key.toString();
      if (!key.startsWith(this.keys.partitions)) continue;
      const name = key.slice(this.keys.partitions.length);
      const member = parseValue(partitionClaimSchema, kv.value.toString())?.member ?? '?';
      if (kv.lease === lease.id) owned.add(name);
      // A claim under a lease that is not its member's current one (an earlier life of that member, on
      // its way out) keeps the partition taken, but counts for no live member.
      owners.set(name, leaseOf.get(member) === kv.lease ? member : `${member}@${kv.lease}`);
    }
    this.#owned = owned;
    return { partitions: this.#partitions, members, owners };
  }

  async #join(): Promise<void> {
    const { etcd, leaseTtlS, log, memberId } = this.#opts;
    const lease = await KeptLease.grant(etcd, leaseTtlS, log, () => this.#leaseChanged());
    if (this.#closed) {
      // closed while etcd took its time to answer: a lease nobody would ever revoke
      await within(lease.close(), this.#boundMs());
      return;
    }
    try {
      const key = this.keys.member(memberId);
      const res = await etcd
        .if(key, 'Create', '==', 0)
        .then(etcd.put(key).value(this.#memberValue()).lease(lease.id))
        .options(this.#call())
        .commit();
      if (!res.succeeded) {
        // Our own earlier membership (a lost lease, or a restart with the same MODULE_ID) is still there.
        log.warn(
          { member: memberId },
          'member key taken (an earlier lease of this id?); waiting for it to lapse',
        );
        await within(lease.close(), this.#boundMs());
        await delay(Math.min(1_000, (leaseTtlS * 1_000) / 3));
        this.#again = true;
        return;
      }
    } catch (err) {
      await within(lease.close(), this.#boundMs());
      throw err;
    }
    this.#lease = lease;
    this.#owned.clear();
    log.info(
      { member: memberId, lease: lease.id, ttlS: leaseTtlS, group: this.#opts.group },
      'projector joined',
    );
    this.#again = true;
  }

  /** Stops every runner and forgets the lease; false while some runner is still stopping. */
  async #dropAll(reason: string): Promise<boolean> {
    this.#opts.log.warn({ reason, partitions: this.owned().map(String) }, 'dropping every partition');
    if (!(await this.#stopAll(reason))) return false;
    this.#owned.clear();
    this.#published();
    await within(this.#lease?.close(), this.#boundMs());
    this.#lease = null;
    return true;
  }

  #memberValue(): string {
    return JSON.stringify({
      id: this.#opts.memberId,
      pid: process.pid,
      host: hostname(),
      since: new Date().toISOString(),
    });
  }
}

/** Waits for `p` at most `ms`: true when it settled in time (its rejection counts as settled). */
async function within(p: Promise<unknown> | undefined, ms: number): Promise<boolean> {
  if (p === undefined) return true;
  let timer: NodeJS.Timeout | undefined;
  const settled = p.then(
    () => true,
    () => true,
  );
  const late = new Promise<boolean>((resolve) => {
    timer = setTimeout(() => resolve(false), ms);
  });
  try {
    return await Promise.race([settled, late]);
  } finally {
    clearTimeout(timer);
  }
}
