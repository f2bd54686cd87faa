import { readFileSync } from 'node:fs';
import { parentPort, workerData } from 'node:worker_threads';
import { type Partition, TickstreamError } from '@tickstream/shared';
import pg from 'pg';
import { accumulate, type BatchChanges, createBatch } from '../apply';
import { inboxToken, type LedgerLink, type LinkTarget, openLedgerLink } from '../consume/link';
import { copyWait } from './copy';
import { type FoldPosition, PartitionFold } from './fold';
import { RowWriter } from './writer';

/**
 * A fold worker's side of `FoldWorkers` (see `parallel.ts`): owns some partitions' `PartitionFold`s,
 * reads their subjects of the ledger itself (`openLedgerLink`, a connection per partition: one
 * ack-less push consumer per partition and read, all of them streaming at once), folds as the entries
 * come and COPYs the rows on its own Postgres connections (`RowWriter`). Requests with an `id` are
 * answered once done; `targets` and `state` are taken at once, the others one at a time, in order.
 */

/** What the worker is started with (`workerData`). */
export interface FoldWorkerInit {
  /** Marks a rebuild worker's data (a test runner's own worker threads have workerData too). */
  readonly role: typeof WORKER_ROLE;
  readonly chainId: number;
  readonly partitions: Partition[];
  /** The ledger subject of each partition, in the same order. */
  readonly subjects: string[];
  readonly stream: string;
  /** The stream's first sequence (where a partition's first read starts). */
  readonly first: number;
  readonly hold: number;
  readonly schema: string;
  readonly confirmedBlock: number;
  /** Plain connection settings of the rebuild's pool (no functions). */
  readonly db: Record<string, string | number | boolean>;
  readonly nats: LinkTarget;
}

export type FoldWorkerRequest =
  | { readonly type: 'open'; readonly id: number }
  | { readonly type: 'targets'; readonly targets: number[] }
  | { readonly type: 'state'; readonly id: number }
  | { readonly type: 'read'; readonly id: number; readonly goals: number[] }
  | { readonly type: 'fold'; readonly id: number; readonly targets: number[]; readonly all: boolean }
  | { readonly type: 'swapFold'; readonly id: number; readonly targets: number[] }
  | { readonly type: 'finish'; readonly id: number }
  | { readonly type: 'pools'; readonly id: number }
  | { readonly type: 'close'; readonly id: number };

/** Where each fold stands after a request. */
export interface FoldState {
  readonly position: FoldPosition;
  /** Entries pushed (read); log entries folded; blocks folded; blocks dropped; units queued. */
  readonly entries: number;
  readonly logs: number;
  readonly blocks: number;
  readonly dropped: number;
  readonly queued: number;
  /** The stream sequence of the last entry read. */
  readonly lastSeq: number;
}

export interface FoldWorkerReply {
  /** The request answered; 0: the worker is up (connected to NATS, inboxes subscribed). */
  readonly id: number;
  readonly states: FoldState[];
  readonly copyWaitMs: number;
  /** Time spent with reads outstanding and nothing to fold (waiting for NATS), in ms. */
  readonly readWaitMs: number;
  /** CPU seconds (user + system) of the worker thread so far. */
  readonly cpuSec: number;
  readonly error?: { message: string; code?: string; retryable?: boolean };
  /** `finish`: rows per table; `swapFold`: one batch per fold; `pools`: the latest pools per fold. */
  readonly counts?: Record<string, number>;
  readonly batches?: BatchChanges[];
  readonly pools?: [string, unknown][][];
}

export const WORKER_ROLE = 'tickstream-rebuild-fold';

/** The id of a `FoldWorkerTableDone` message (a worker's COPY of a table ended during `finish`). */
export const TABLE_DONE = -1;

/** Sent, unasked, as each of a worker's COPYs ends during `finish`: its keys may be built once all are. */
export interface FoldWorkerTableDone {
  readonly id: typeof TABLE_DONE;
  readonly table: string;
  readonly rows: number;
}

/** Connections of a worker: the COPYs of events and three history tables, and of four latest tables. */
const CONNECTIONS = 8;

/** CPU seconds (user + system) of the calling thread (Linux: /proc/thread-self/stat; else 0). */
export function threadCpuSec(): number {
  try {
    const stat = readFileSync('/proc/thread-self/stat', 'utf8');
    const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return (Number(f[11]) + Number(f[12])) / 100;
  } catch {
    return 0;
  }
}

/** A read of one partition: its entries up to `to` (or as far as the stream goes). */
interface Goal {
  readonly to: number;
  /** The consumer's last delivery sequence (a gap means lost messages). */
  dseq: number;
  resolve(): void;
  reject(err: Error): void;
}

if (parentPort !== null && (workerData as Partial<FoldWorkerInit> | null)?.role === WORKER_ROLE) {
  const port = parentPort;
  const init = workerData as FoldWorkerInit;
  const folds = init.partitions.map((p) => new PartitionFold(init.chainId, p, init.hold));
  const targets = folds.map(() => Number.POSITIVE_INFINITY);
  const goals: (Goal | null)[] = folds.map(() => null);
  const touched = folds.map(() => false);
  const reached: Goal[] = [];
  const inboxes = folds.map((_, i) => `_INBOX.${inboxToken()}.${i}`);
  const pool = new pg.Pool({ ...init.db, max: CONNECTIONS });
  pool.on('error', () => undefined);
  let writer: RowWriter | null = null;
  /**
   * One NATS connection per partition: a push consumer may have up to 32 MiB in flight (its
   * flow-control window, grown as the reads keep up), and the server drops a connection with more than
   * 64 MiB pending to it (slow consumer) — two or three consumers on one paused connection can get
   * there.
   */
  let links: LedgerLink[] = [];
  let failed: Error | null = null;
  let finished = false;
  let poolEnd: Promise<void> | null = null;
  let outstanding = 0;
  let readWaitMs = 0;
  let idleSince = 0;
  let draining = false;

  const fail = (err: unknown) => {
    failed ??= err instanceof Error ? err : new Error(String(err));
    for (const [i, g] of goals.entries()) {
      if (g === null) continue;
      goals[i] = null;
      g.reject(failed);
    }
    writer?.abort();
  };

  const states = (): FoldState[] =>
    folds.map((f) => ({
      position: f.position,
      entries: f.entries,
      logs: f.logs,
      blocks: f.blocks,
      dropped: f.dropped,
      queued: f.queued,
      lastSeq: f.lastSeq,
    }));

  const deliver = (i: number) => (sseq: number, dseq: number, pending: number, data: Uint8Array) => {
    const g = goals[i] ?? null;
    if (g === null || failed !== null) return; // a straggler of a consumer already done with
    if (dseq !== g.dseq + 1) {
      fail(
        new TickstreamError(
          'LEDGER_ERROR',
          `stream ${init.stream}: delivery ${dseq} after ${g.dseq} on ${init.subjects[i]} (messages lost)`,
          { retryable: true },
        ),
      );
      return;
    }
    g.dseq = dseq;
    try {
      if (sseq <= g.to) {
        folds[i]!.push(sseq, data);
        touched[i] = true;
      }
    } catch (err) {
      fail(err);
      return;
    }
    if (sseq >= g.to || pending === 0) {
      goals[i] = null;
      reached.push(g);
    }
  };

  /** After each socket read: fold what came (up to the targets, the newest blocks held), COPY it. */
  const batch = () => {
    if (failed !== null) return;
    const now = performance.now();
    if (idleSince > 0) readWaitMs += now - idleSince;
    idleSince = 0;
    try {
      // Once finished (the COPYs ended), entries read for the swap are folded by `swapFold` only.
      if (writer !== null && !finished) {
        for (let i = 0; i < folds.length; i++) {
          if (!touched[i]) continue;
          touched[i] = false;
          folds[i]!.foldUpTo(targets[i]!, false, writer);
        }
      }
    } catch (err) {
      fail(err);
      return;
    }
    const settle = () => {
      for (const g of reached.splice(0)) g.resolve();
      if (outstanding > 0) idleSince = performance.now();
    };
    if (writer !== null && !draining && writer.backedUp) {
      // Postgres is behind: nothing more is read (the consumers stop at their flow-control window)
      // until the COPY buffers have room.
      draining = true;
      for (const l of links) l.pause();
      writer.drain().then(
        () => {
          draining = false;
          for (const l of links) l.resume();
          settle();
        },
        (err: unknown) => {
          draining = false;
          fail(err);
        },
      );
      return;
    }
    if (!draining) settle();
  };

  /** Reads partition `i` up to `to` with a consumer of its own (deleted after). */
  const readFold = async (i: number, to: number): Promise<void> => {
    const fold = folds[i]!;
    if (fold.lastSeq >= to) return;
    const l = links[i]!;
    let resolve!: () => void;
    let reject!: (err: Error) => void;
    const done = new Promise<void>((res, rej) => {
      resolve = res;
      reject = rej;
    });
    const g: Goal = { to, dseq: 0, resolve, reject };
    goals[i] = g;
    outstanding++;
    if (idleSince === 0) idleSince = performance.now();
    let name: string | undefined;
    try {
      const r = await l.request<{ name: string; num_pending: number }>(
        `$JS.API.CONSUMER.CREATE.${init.stream}`,
        {
          stream_name: init.stream,
          config: {
            deliver_subject: inboxes[i],
            filter_subject: init.subjects[i],
            ack_policy: 'none',
            deliver_policy: 'by_start_sequence',
            opt_start_seq: Math.max(init.first, fold.lastSeq + 1),
            flow_control: true,
            idle_heartbeat: 5e9,
            mem_storage: true,
            inactive_threshold: 30e9,
          },
        },
      );
      name = r.name;
      if (r.num_pending === 0 && goals[i] === g) {
        goals[i] = null;
        resolve();
      }
      await done;
    } finally {
      if (goals[i] === g) goals[i] = null;
      outstanding--;
      if (outstanding === 0) idleSince = 0;
      if (name !== undefined) {
        await l.request(`$JS.API.CONSUMER.DELETE.${init.stream}.${name}`, null).catch(() => undefined);
      }
    }
  };

  const start = async (): Promise<void> => {
    // The COPY streams' connections opened while NATS is connected (the COPYs start on `open`, once
    // the schema exists): events, and the three history tables for pool partitions.
    const streams = folds.some((f) => f.model.kind === 'pools') ? 4 : 1;
    const warm = Promise.all(Array.from({ length: streams }, () => pool.connect())).then(
      (cs) => {
        for (const c of cs) c.release();
      },
      () => undefined,
    );
    links = await Promise.all(
      inboxes.map(async (inbox, i) => {
        const l = await openLedgerLink(init.nats);
        l.onBatch = batch;
        l.onError = fail;
        l.subscribe(inbox, deliver(i));
        await l.flush();
        return l;
      }),
    );
    await warm;
  };

  const handle = async (
    m: FoldWorkerRequest,
  ): Promise<Omit<FoldWorkerReply, 'id' | 'states' | 'copyWaitMs' | 'readWaitMs' | 'cpuSec'>> => {
    switch (m.type) {
      case 'open':
        writer = await RowWriter.open(
          pool,
          init.schema,
          init.chainId,
          init.confirmedBlock,
          folds.some((f) => f.model.kind === 'pools'),
        );
        return {};
      case 'read':
        await Promise.all(m.goals.map((to, i) => (to >= 0 ? readFold(i, to) : undefined)));
        if (failed !== null) throw failed;
        if (draining) await writer?.drain();
        return {};
      case 'fold': {
        const w = writer!;
        for (const [i, f] of folds.entries()) f.foldUpTo(m.targets[i]!, m.all, w);
        await w.drain();
        return {};
      }
      case 'swapFold': {
        const batches = folds.map((f, i) => {
          const b = createBatch(init.chainId, f.partition);
          f.foldUpTo(m.targets[i]!, true, { block: (_p, ch) => accumulate(b, ch) });
          return b;
        });
        return { batches };
      }
      case 'finish': {
        const counts = await writer!.finish(folds, (table, rows) => {
          const done: FoldWorkerTableDone = { id: TABLE_DONE, table, rows };
          port.postMessage(done);
        });
        finished = true;
        // Postgres is done with: its connections close while the rebuild goes on.
        poolEnd = pool.end().catch(() => undefined);
        return { counts };
      }
      case 'pools':
        return { pools: folds.map((f) => [...f.pools]) };
      case 'close':
        // Not finished (the rebuild failed): the COPYs are aborted, their connections destroyed.
        if (!finished) writer?.abort();
        poolEnd ??= pool.end().catch(() => undefined);
        await Promise.all([poolEnd, ...links.map((l) => l.close())]);
        return {};
      default:
        return {};
    }
  };

  const reply = (
    id: number,
    out: Omit<FoldWorkerReply, 'id' | 'states' | 'copyWaitMs' | 'readWaitMs' | 'cpuSec'>,
  ): FoldWorkerReply => {
    const e = failed as (Error & { code?: string; retryable?: boolean }) | null;
    return {
      id,
      states: states(),
      copyWaitMs: copyWait.ms,
      readWaitMs,
      cpuSec: threadCpuSec(),
      ...out,
      ...(e === null
        ? {}
        : {
            error: {
              message: e.message,
              ...(e.code === undefined ? {} : { code: e.code }),
              ...(e.retryable === undefined ? {} : { retryable: e.retryable }),
            },
          }),
    };
  };

  // One request at a time, in order; `targets` and `state` at once (a read may be waiting for NATS).
  let chain: Promise<void> = start().then(
    () => port.postMessage(reply(0, {})),
    (err: unknown) => {
      fail(err);
      port.postMessage(reply(0, {}));
    },
  );
  port.on('message', (m: FoldWorkerRequest) => {
    if (m.type === 'targets') {
      for (let i = 0; i < targets.length; i++) targets[i] = m.targets[i]!;
      return;
    }
    if (m.type === 'state') {
      port.postMessage(reply(m.id, {}));
      return;
    }
    chain = chain.then(async () => {
      if (failed !== null && m.type !== 'close') {
        port.postMessage(reply(m.id, {}));
        return;
      }
      try {
        const out = await handle(m);
        port.postMessage(reply(m.id, out));
      } catch (err) {
        fail(err);
        if (m.type === 'close') {
          poolEnd ??= pool.end().catch(() => undefined);
          await poolEnd;
        }
        port.postMessage(reply(m.id, {}));
      }
    });
  });
}
