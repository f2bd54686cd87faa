import {
  type WatchRequest,
  type WatchStatus,
  watchKeysFor,
  watchRequestSchema,
  watchStatusSchema,
} from '@tickstream/coordinator/client';
import type { Hex, Logger } from '@tickstream/shared';
import type { Etcd3, Watcher } from 'etcd3';
import type { WatchJob } from '../store';

/** The watch list as the loop takes it: every request present, and the removals since the last `take`. */
export interface WatchChanges {
  readonly added: WatchRequest[];
  readonly removed: Hex[];
}

/**
 * The operators' watch list in etcd (`/tickstream/<chainId>/watch/<address>`, written by `tickstream
 * watch add`), seen by ingest: the requests present at start and every change after, queued until
 * the main loop takes them between two units of work (every present request each time, so one the loop
 * failed to record is tried again; recorded ones are skipped). Ingest reports its progress on each address
 * under `/watch-status/<address>` (at most once a second per address, and at every join).
 */
export class WatchRequests {
  #added = new Map<string, WatchRequest>();
  #removed = new Set<Hex>();
  #watcher: Watcher | null = null;
  #reported = new Map<Hex, number>();
  #onChange: (() => void) | null = null;

  private constructor(
    private readonly etcd: Etcd3,
    private readonly chainId: number,
    private readonly log: Logger,
  ) {}

  static async start(etcd: Etcd3, chainId: number, log: Logger): Promise<WatchRequests> {
    const w = new WatchRequests(etcd, chainId, log);
    const k = watchKeysFor(chainId);
    const res = await etcd.getAll().prefix(k.root).exec();
    for (const kv of res.kvs) w.#put(kv.value.toString());
    w.#watcher = await etcd
      .watch()
      .prefix(k.root)
      .startRevision(String(Number(res.header.revision) + 1))
      .create();
    w.#watcher.on('put', (kv) => w.#put(kv.value.toString()));
    w.#watcher.on('delete', (kv) => {
      const address = kv.key.toString().slice(k.root.length) as Hex;
      w.#added.delete(address);
      w.#removed.add(address);
      w.#onChange?.();
    });
    return w;
  }

  /** Calls `f` whenever a request arrives (e.g. to end the loop's wait for a head). */
  onChange(f: () => void): void {
    this.#onChange = f;
  }

  /** Every present request, and the removals since the last call. */
  take(): WatchChanges {
    const out = { added: [...this.#added.values()], removed: [...this.#removed] };
    this.#removed.clear();
    return out;
  }

  /** Reports a job's progress for `tickstream watch list` (throttled unless `force`). */
  report(job: WatchJob, force = false): void {
    const now = Date.now();
    if (!force && now - (this.#reported.get(job.address) ?? 0) < 1_000) return;
    this.#reported.set(job.address, now);
    const status: WatchStatus = watchStatusSchema.parse({
      address: job.address,
      kind: job.kind,
      state: job.joinedAt === null ? 'backfilling' : 'following',
      fromBlock: job.fromBlock,
      doneTo: job.doneTo,
      joinedAt: job.joinedAt,
      logs: job.logs,
      pools: job.kind === 'pool' ? 1 : job.pools.size,
      at: new Date(now).toISOString(),
    });
    void this.etcd
      .put(watchKeysFor(this.chainId).status(job.address))
      .value(JSON.stringify(status))
      .catch((err: Error) => this.log.warn({ err: err.message }, 'could not report watch progress'));
  }

  async close(): Promise<void> {
    await this.#watcher?.cancel().catch(() => {});
  }

  #put(text: string): void {
    let req: WatchRequest;
    try {
      req = watchRequestSchema.parse(JSON.parse(text));
    } catch (err) {
      this.log.warn({ value: text, err: (err as Error).message }, 'ignoring a malformed watch request');
      return;
    }
    this.#removed.delete(req.address as Hex);
    this.#added.set(req.address, req);
    this.#onChange?.();
  }
}
