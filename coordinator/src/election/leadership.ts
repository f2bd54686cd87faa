import { TickstreamError } from '@tickstream/shared';
import type { Etcd3 } from 'etcd3';

/** One term of leadership: valid while the leader key exists with create revision `token`. */
export class Leadership {
  readonly chainId: number;
  readonly id: string;
  /** The fencing token: the create revision of the leader key. Carried by every command. */
  readonly token: number;
  /** The leader key whose create revision every write of this term is checked against. */
  readonly key: string;
  /** `Date.now()` when this term began. */
  readonly since: number;
  /** Counts of fenced writes done and refused during this term. */
  readonly stats = { writes: 0, refused: 0 };
  /** What the leader is doing, published with each heartbeat ("idle", "r7 ROLLING_BACK"). */
  activity: string | null = 'idle';
  readonly #abort = new AbortController();
  readonly #inFlight = new Set<Promise<unknown>>();
  #endReason: string | undefined;

  constructor(init: { chainId: number; id: string; token: number; key: string; since?: number }) {
    this.chainId = init.chainId;
    this.id = init.id;
    this.token = init.token;
    this.key = init.key;
    this.since = init.since ?? Date.now();
  }

  /** Aborted when the term ends (lease lost, key gone, a write fenced, resign, shutdown). */
  get signal(): AbortSignal {
    return this.#abort.signal;
  }

  get active(): boolean {
    return this.#endReason === undefined;
  }

  get endReason(): string | undefined {
    return this.#endReason;
  }

  /** Resolves once every fenced write sent in this term has its answer (so that `stats` are final). */
  async settled(): Promise<void> {
    while (this.#inFlight.size > 0) await Promise.allSettled([...this.#inFlight]);
  }

  /** @internal Tracks a write until it settles (see `settled`). */
  track<T>(write: Promise<T>): Promise<T> {
    this.#inFlight.add(write);
    const forget = () => this.#inFlight.delete(write);
    write.then(forget, forget);
    return write;
  }

  /** Ends the term locally; the first reason wins. Anything acting as leader must stop on `signal`. */
  end(reason: string): void {
    if (this.#endReason !== undefined) return;
    this.#endReason = reason;
    this.#abort.abort(new TickstreamError('FENCED', `leadership ended: ${reason}`));
  }
}

/** One operation of a fenced write. Values are JSON-encoded. */
export type WriteOp =
  | { readonly put: string; readonly value: unknown }
  | { readonly delete: string }
  | { readonly deletePrefix: string };

function toOp(etcd: Etcd3, op: WriteOp) {
  if ('put' in op) return etcd.put(op.put).value(JSON.stringify(op.value));
  if ('delete' in op) return etcd.delete().key(op.delete);
  return etcd.delete().prefix(op.deletePrefix);
}

/**
 * Runs `ops` in one etcd transaction that only commits while the leader key still exists with the
 * leadership's create revision. Otherwise nothing is written, the term ends, and FENCED is thrown.
 * A term already ended locally is refused without a round trip. Returns the revision of the write.
 *
 * @example
 * await fencedWrite(etcd, leadership, [{ put: k.current, value: context }, { delete: k.report(id) }]);
 */
export async function fencedWrite(
  etcd: Etcd3,
  leadership: Leadership,
  ops: readonly WriteOp[],
): Promise<number> {
  if (!leadership.active) {
    leadership.stats.refused++;
    throw new TickstreamError('FENCED', `write refused: leadership ${leadership.token} already ended`, {
      details: { token: leadership.token, reason: leadership.endReason, local: true },
    });
  }
  const res = await leadership.track(
    etcd
      .if(leadership.key, 'Create', '==', leadership.token)
      .then(...ops.map((op) => toOp(etcd, op)))
      .commit(),
  );
  if (!res.succeeded) {
    leadership.stats.refused++;
    leadership.end('a fenced write was refused: the leader key is gone or belongs to a newer leader');
    throw new TickstreamError(
      'FENCED',
      `write refused by etcd: leader key ${leadership.key} no longer has create revision ${leadership.token}`,
      { details: { token: leadership.token, local: false } },
    );
  }
  leadership.stats.writes++;
  return Number(res.header.revision);
}
