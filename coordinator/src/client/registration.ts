import { setTimeout as delay } from 'node:timers/promises';
import { describeError, type Logger } from '@tickstream/shared';
import type { Etcd3, Lease } from 'etcd3';
import type { ModuleStatus } from '../layout';

/**
 * A module's registration key under its own lease: the lease keep-alive is the heartbeat that keeps the
 * module alive in the coordinator's eyes, and the status (with `heartbeatAt`) is rewritten every TTL/2.
 * Status writes are serialized and always go through the lease. A lost lease (etcd unreachable for
 * longer than the TTL, the process frozen) is re-granted and the status written again.
 */
export class Registration {
  readonly key: string;
  readonly #etcd: Etcd3;
  readonly #ttlS: number;
  readonly #log: Logger;
  #status: ModuleStatus;
  #lease: Lease | undefined;
  #writes: Promise<void> = Promise.resolve();
  #timer: NodeJS.Timeout | undefined;
  #closed = false;

  constructor(etcd: Etcd3, key: string, ttlS: number, status: ModuleStatus, log: Logger) {
    this.#etcd = etcd;
    this.key = key;
    this.#ttlS = ttlS;
    this.#status = status;
    this.#log = log;
  }

  get status(): Readonly<ModuleStatus> {
    return this.#status;
  }

  /** Grants the lease, writes the status, starts the status heartbeat. */
  async start(): Promise<void> {
    await this.#register();
    this.#beat();
  }

  /** Replaces the status by `change(status)` without writing it: the next write carries it. */
  patch(change: (s: ModuleStatus) => ModuleStatus): void {
    this.#status = change(this.#status);
  }

  /** Replaces the status by `change(status)` and writes it (with a fresh `heartbeatAt`). */
  write(change: (s: ModuleStatus) => ModuleStatus = (s) => s): Promise<void> {
    this.#status = change(this.#status);
    this.#writes = this.#writes.then(async () => {
      if (this.#closed) return;
      this.#status = { ...this.#status, heartbeatAt: new Date().toISOString() };
      try {
        await this.#lease?.put(this.key).value(JSON.stringify(this.#status));
      } catch (err) {
        this.#log.warn({ err: describeError(err), key: this.key }, 'status write failed');
      }
    });
    return this.#writes;
  }

  /** Stops the heartbeat and revokes the lease: the key disappears at once. */
  async close(): Promise<void> {
    clearTimeout(this.#timer);
    await this.#writes;
    this.#closed = true;
    await this.#lease?.revoke().catch(() => undefined);
  }

  async #register(): Promise<void> {
    const lease = this.#etcd.lease(this.#ttlS);
    lease.on('lost', (err) => {
      if (this.#closed || this.#lease !== lease) return;
      this.#log.warn({ err: describeError(err), key: this.key }, 'module lease lost; registering again');
      void this.#reregister();
    });
    await lease.grant();
    this.#lease = lease;
    await this.write();
  }

  async #reregister(): Promise<void> {
    for (let attempt = 0; !this.#closed; attempt++) {
      try {
        await this.#register();
        return;
      } catch (err) {
        this.#log.warn({ err: describeError(err), attempt }, 'module registration failed; retrying');
        await delay(Math.min(2_000, 100 * 2 ** attempt));
      }
    }
  }

  #beat(): void {
    if (this.#closed) return;
    this.#timer = setTimeout(() => void this.write().finally(() => this.#beat()), (this.#ttlS * 1_000) / 2);
  }
}
