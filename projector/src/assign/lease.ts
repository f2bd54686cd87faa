import { describeError, type Logger } from '@tickstream/shared';
import { type Etcd3, EtcdLeaseInvalidError, type Lease } from 'etcd3';

/**
 * An etcd lease this process keeps alive itself, every TTL/4, and whose health it can tell at any
 * moment: `fresh` is true while the last keep-alive that etcd answered was *sent* less than TTL/2 ago.
 * etcd renews a lease when it receives the keep-alive, so the lease lives at least TTL after that send:
 * a holder that stops writing as soon as `fresh` turns false stops at least TTL/2 before anyone else can
 * take what the lease holds. `lost` is final (etcd said the lease is gone, or it surely expired); a
 * lease that is only stale can still become fresh again. `onChange` is called when either changes.
 *
 * @example
 * const lease = await KeptLease.grant(etcd, 3, log, () => reconcile());
 * if (lease.fresh) await writeSomething();
 * await lease.close();
 */
export class KeptLease {
  /** The lease id as etcd reports it on keys (`kv.lease`). */
  readonly id: string;
  readonly lease: Lease;
  readonly #ttlMs: number;
  readonly #log: Logger;
  readonly #onChange: () => void;
  #okAt: number;
  #lost = false;
  #closed = false;
  #beat: NodeJS.Timeout | undefined;
  #stale: NodeJS.Timeout | undefined;

  private constructor(
    lease: Lease,
    id: string,
    ttlS: number,
    sentAt: number,
    log: Logger,
    onChange: () => void,
  ) {
    this.lease = lease;
    this.id = id;
    this.#ttlMs = ttlS * 1_000;
    this.#okAt = sentAt;
    this.#log = log;
    this.#onChange = onChange;
  }

  /** Grants a lease of `ttlS` seconds and starts keeping it alive. */
  static async grant(etcd: Etcd3, ttlS: number, log: Logger, onChange: () => void): Promise<KeptLease> {
    const sentAt = performance.now();
    const lease = etcd.lease(ttlS, { autoKeepAlive: false });
    lease.on('lost', () => undefined); // reported through `lost`, not as an unhandled event
    const id = await lease.grant();
    const kept = new KeptLease(lease, id, ttlS, sentAt, log, onChange);
    kept.#armStale();
    kept.#schedule();
    return kept;
  }

  get ttlMs(): number {
    return this.#ttlMs;
  }

  /** True while holding the lease is sure, with at least TTL/2 to spare. */
  get fresh(): boolean {
    return !this.#lost && !this.#closed && performance.now() - this.#okAt < this.#ttlMs / 2;
  }

  /** True once the lease is gone for good (expired, revoked, or closed). */
  get lost(): boolean {
    return this.#lost || this.#closed;
  }

  /** Milliseconds since the last answered keep-alive was sent. */
  get ageMs(): number {
    return performance.now() - this.#okAt;
  }

  /** Stops the keep-alives and revokes the lease: every key under it disappears at once. */
  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    clearTimeout(this.#beat);
    clearTimeout(this.#stale);
    if (!this.#lost) await this.lease.revoke().catch(() => undefined);
    else this.lease.release();
  }

  #schedule(): void {
    if (this.lost) return;
    this.#beat = setTimeout(() => void this.#keepAlive().finally(() => this.#schedule()), this.#ttlMs / 4);
  }

  async #keepAlive(): Promise<void> {
    const sentAt = performance.now();
    let timer: NodeJS.Timeout | undefined;
    try {
      await Promise.race([
        this.lease.keepaliveOnce(),
        new Promise((_, reject) => {
          timer = setTimeout(() => reject(new Error('no answer to the keep-alive')), this.#ttlMs / 4);
        }),
      ]);
      if (this.#closed) return;
      const wasFresh = this.fresh;
      this.#okAt = Math.max(this.#okAt, sentAt);
      this.#armStale();
      if (!wasFresh) {
        this.#log.info({ lease: this.id }, 'projector lease fresh again');
        this.#onChange();
      }
    } catch (err) {
      if (this.#closed) return;
      if (err instanceof EtcdLeaseInvalidError || this.ageMs >= this.#ttlMs) {
        this.#lost = true;
        this.#log.warn({ lease: this.id, err: describeError(err) }, 'projector lease lost');
        this.#onChange();
        return;
      }
      this.#log.debug({ lease: this.id, err: describeError(err), ageMs: this.ageMs }, 'keep-alive failed');
    } finally {
      clearTimeout(timer);
    }
  }

  /** Calls `onChange` when the lease turns stale, unless a keep-alive is answered before. */
  #armStale(): void {
    clearTimeout(this.#stale);
    this.#stale = setTimeout(
      () => {
        if (this.lost) return;
        // Timers may fire a fraction of a millisecond before `performance.now()` reaches the deadline:
        // report only a lease that is stale by `fresh` itself, or the holder would see it fresh still.
        if (this.fresh) {
          this.#armStale();
          return;
        }
        this.#log.warn(
          { lease: this.id, ageMs: Math.round(this.ageMs) },
          'projector lease stale: no keep-alive answered for TTL/2; partitions stop',
        );
        this.#onChange();
      },
      Math.max(0, this.#okAt + this.#ttlMs / 2 - performance.now()),
    );
  }
}
