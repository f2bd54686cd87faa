import { hostname } from 'node:os';
import { setTimeout as delay } from 'node:timers/promises';
import { describeError, isTickstreamError, type Logger } from '@tickstream/shared';
import type { Etcd3, Lease, Watcher } from 'etcd3';
import { keysFor } from '../layout';
import { fencedWrite, Leadership } from './leadership';

export interface CandidateOptions {
  readonly chainId: number;
  /** This coordinator's name, stored in the leader key. */
  readonly id: string;
  /** Lease TTL in seconds (etcd3's own default is 60 s; ours is 3 s). */
  readonly leaseTtlS: number;
  readonly log: Logger;
}

/**
 * Campaigns for leadership of one chain with a lease of `leaseTtlS` and a put-if-absent on the leader
 * key; the key's create revision is the term's fencing token. While leading, a heartbeat is written
 * (fenced) every TTL/3; the term ends on a lost lease, a deleted or replaced key, a refused write, or
 * when etcd cannot be reached for longer than the TTL.
 *
 * @example
 * const candidate = new Candidate(etcd, { chainId: 31337, id: 'c1', leaseTtlS: 3, log });
 * const leadership = await candidate.campaign(stop.signal);
 * leadership.signal.addEventListener('abort', () => console.log(leadership.endReason));
 */
export class Candidate {
  readonly #etcd: Etcd3;
  readonly #opts: CandidateOptions;
  readonly #keys;
  #lease: Lease | undefined;
  #leaseLost = false;

  constructor(etcd: Etcd3, opts: CandidateOptions) {
    this.#etcd = etcd;
    this.#opts = opts;
    this.#keys = keysFor(opts.chainId);
  }

  /** Resolves with a new term once elected; rejects when `signal` aborts first. */
  async campaign(signal: AbortSignal): Promise<Leadership> {
    const { log } = this.#opts;
    for (let attempt = 0; ; attempt++) {
      signal.throwIfAborted();
      try {
        const lease = this.#ensureLease();
        const leaseId = await lease.grant();
        const value = JSON.stringify({
          id: this.#opts.id,
          pid: process.pid,
          host: hostname(),
          since: new Date().toISOString(),
        });
        const key = this.#keys.leader;
        const res = await this.#etcd
          .if(key, 'Create', '==', 0)
          .then(this.#etcd.put(key).value(value).lease(leaseId))
          .else(this.#etcd.get(key))
          .commit();
        if (res.succeeded) return this.#lead(lease, Number(res.header.revision));
        const kv = res.responses[0]?.response_range?.kvs[0];
        if (kv !== undefined && kv.lease === leaseId) return this.#lead(lease, Number(kv.create_revision));
        await this.#waitForVacancy(Number(res.header.revision), signal);
      } catch (err) {
        if (signal.aborted) throw signal.reason;
        log.warn({ err: describeError(err), attempt }, 'campaign failed; retrying');
        await delay(Math.min(1_000, 100 * 2 ** Math.min(attempt, 4)), undefined, { signal }).catch(() => {});
      }
    }
  }

  /** Hands leadership over: deletes the leader key (fenced) and ends the term. */
  async resign(leadership: Leadership, reason = 'resigned'): Promise<void> {
    try {
      await fencedWrite(this.#etcd, leadership, [{ delete: leadership.key }]);
    } catch (err) {
      if (!isTickstreamError(err, 'FENCED')) throw err;
    }
    leadership.end(reason);
  }

  /**
   * Waits until a leader other than term `token` holds the key (true), or `timeoutMs` passes (false).
   * A resigned leader calls this before campaigning again, so that another candidate gets the turn.
   */
  async waitForOtherLeader(token: number, timeoutMs: number, signal: AbortSignal): Promise<boolean> {
    const key = this.#keys.leader;
    const res = await this.#etcd.get(key).exec();
    const kv = res.kvs[0];
    if (kv !== undefined && Number(kv.create_revision) !== token) return true;
    const watcher = await this.#etcd
      .watch()
      .key(key)
      .startRevision(String(Number(res.header.revision) + 1))
      .create();
    try {
      return await new Promise<boolean>((resolve) => {
        const timer = setTimeout(() => resolve(false), timeoutMs);
        const done = (v: boolean) => {
          clearTimeout(timer);
          resolve(v);
        };
        watcher.on('put', (put) => {
          if (Number(put.create_revision) !== token) done(true);
        });
        signal.addEventListener('abort', () => done(false), { once: true });
      });
    } finally {
      await watcher.cancel();
    }
  }

  /** Revokes the lease: the leader key (if ours) disappears at once. */
  async close(): Promise<void> {
    const lease = this.#lease;
    this.#lease = undefined;
    await lease?.revoke().catch(() => undefined);
  }

  #ensureLease(): Lease {
    if (this.#lease !== undefined && !this.#leaseLost && !this.#lease.revoked()) return this.#lease;
    this.#lease?.release();
    const lease = this.#etcd.lease(this.#opts.leaseTtlS);
    this.#leaseLost = false;
    lease.on('lost', (err) => {
      if (this.#lease === lease) this.#leaseLost = true;
      this.#opts.log.warn({ err: describeError(err) }, 'coordinator lease lost');
    });
    this.#lease = lease;
    return lease;
  }

  /** Waits until the leader key is deleted (or our lease is lost, so that a new one is needed). */
  async #waitForVacancy(revision: number, signal: AbortSignal): Promise<void> {
    const watcher = await this.#etcd
      .watch()
      .key(this.#keys.leader)
      .startRevision(String(revision + 1))
      .create();
    const lease = this.#lease;
    let wake = () => {};
    try {
      await new Promise<void>((resolve, reject) => {
        wake = resolve;
        watcher.on('delete', () => resolve());
        watcher.on('error', reject);
        lease?.once('lost', wake);
        signal.addEventListener('abort', wake, { once: true });
      });
    } finally {
      lease?.off('lost', wake);
      signal.removeEventListener('abort', wake);
      await watcher.cancel();
    }
  }

  #lead(lease: Lease, token: number): Leadership {
    const { log, leaseTtlS } = this.#opts;
    const leadership = new Leadership({
      chainId: this.#opts.chainId,
      id: this.#opts.id,
      token,
      key: this.#keys.leader,
    });
    const onLost = () => leadership.end('the lease was lost (keep-alive failed or expired)');
    lease.once('lost', onLost);
    const heartbeat = startHeartbeat(this.#etcd, leadership, this.#keys.heartbeat, leaseTtlS, log);
    let watcher: Watcher | undefined;
    this.#etcd
      .watch()
      .key(this.#keys.leader)
      .startRevision(String(token + 1))
      .create()
      .then((w) => {
        watcher = w;
        if (!leadership.active) return void w.cancel();
        // A change of the leader key is a hint, the fence is the verdict: check with a fenced heartbeat at
        // once (etcd refuses a deposed leader's check, which ends the term).
        w.on('delete', () => heartbeat.now());
        w.on('put', (kv) => {
          if (Number(kv.create_revision) !== token) heartbeat.now();
        });
      })
      .catch((err) => log.warn({ err: describeError(err) }, 'could not watch the leader key'));
    leadership.signal.addEventListener(
      'abort',
      () => {
        lease.off('lost', onLost);
        heartbeat.stop();
        void watcher?.cancel();
        // The next term starts on a fresh lease; revoking this one removes any key it still holds.
        if (this.#lease === lease) this.#lease = undefined;
        void lease.revoke().catch(() => undefined);
      },
      { once: true },
    );
    return leadership;
  }
}

/**
 * Writes the leader's heartbeat through the fence every TTL/3, and at once on `now()`. A refusal ends
 * the term (fencedWrite does it); failing to reach etcd for longer than the TTL ends it too: the lease
 * is gone by then anyway.
 */
function startHeartbeat(
  etcd: Etcd3,
  leadership: Leadership,
  key: string,
  ttlS: number,
  log: Logger,
): { now(): void; stop(): void } {
  let timer: NodeJS.Timeout | undefined;
  let running = false;
  let again = false;
  let lastOk = Date.now();
  const beat = async (): Promise<void> => {
    clearTimeout(timer);
    if (running) {
      again = true; // one more check once the write in flight has its answer
      return;
    }
    running = true;
    try {
      const value = {
        id: leadership.id,
        token: leadership.token,
        at: new Date().toISOString(),
        phase: leadership.activity,
      };
      await fencedWrite(etcd, leadership, [{ put: key, value }]);
      lastOk = Date.now();
    } catch (err) {
      if (isTickstreamError(err, 'FENCED')) {
        log.warn(
          { code: 'FENCED', token: leadership.token, refusedWrites: leadership.stats.refused },
          'heartbeat refused',
        );
      } else if (Date.now() - lastOk > ttlS * 1_000) {
        leadership.end(`etcd unreachable for more than the lease TTL (${ttlS} s)`);
      } else {
        log.warn({ err: describeError(err) }, 'heartbeat failed');
      }
    } finally {
      running = false;
    }
    if (!leadership.active) return;
    if (again) {
      again = false;
      return beat();
    }
    timer = setTimeout(beat, (ttlS * 1_000) / 3);
  };
  void beat();
  return {
    now: () => {
      if (leadership.active) void beat();
    },
    stop: () => clearTimeout(timer),
  };
}
