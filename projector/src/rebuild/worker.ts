import { readFileSync } from 'node:fs';
import { parentPort, workerData } from 'node:worker_threads';
import type { Partition } from '@tickstream/shared';
import pg from 'pg';
import { accumulate, type BatchChanges, createBatch } from '../apply';
import { copyWait } from './copy';
import { type FoldPosition, PartitionFold } from './fold';
import { RowWriter } from './writer';

/**
 * A fold worker's side of `FoldWorkers` (see `parallel.ts`): owns some partitions' `PartitionFold`s and
 * its own `RowWriter` (its own Postgres connections), takes their entries in framed chunks, folds and
 * COPYs. Messages in, one at a time and in order; each request with an `id` is answered once done.
 */

/** What the worker is started with (`workerData`). */
export interface FoldWorkerInit {
  /** Marks a rebuild worker's data (a test runner's own worker threads have workerData too). */
  readonly role: typeof WORKER_ROLE;
  readonly chainId: number;
  readonly partitions: Partition[];
  readonly hold: number;
  readonly schema: string;
  readonly confirmedBlock: number;
  /** Plain connection settings of the rebuild's pool (no functions). */
  readonly db: Record<string, string | number | boolean>;
}

export type FoldWorkerRequest =
  | { readonly type: 'data'; readonly buf: ArrayBuffer; readonly length: number }
  | { readonly type: 'fold'; readonly id: number; readonly targets: number[]; readonly all: boolean }
  | { readonly type: 'swapFold'; readonly id: number; readonly targets: number[] }
  | { readonly type: 'finish'; readonly id: number }
  | { readonly type: 'pools'; readonly id: number }
  | { readonly type: 'close'; readonly id: number };

/** Where each fold stands after a request. */
export interface FoldState {
  readonly position: FoldPosition;
  readonly logs: number;
  readonly blocks: number;
  readonly dropped: number;
  readonly queued: number;
  readonly lastSeq: number;
}

export interface FoldWorkerReply {
  readonly id: number;
  readonly states: FoldState[];
  readonly copyWaitMs: number;
  /** CPU seconds (user + system) of the worker thread so far. */
  readonly cpuSec: number;
  readonly error?: { message: string; code?: string; retryable?: boolean };
  /** `finish`: rows per table; `swapFold`: one batch per fold; `pools`: the latest pools per fold. */
  readonly counts?: Record<string, number>;
  readonly batches?: BatchChanges[];
  readonly pools?: [string, unknown][][];
}

/**
 * The frame of one entry in a data chunk: local fold index (u8), stream sequence (f64), length (u32),
 * then the bytes. Little-endian.
 */
export const FRAME_HEADER = 13;

export const WORKER_ROLE = 'tickstream-rebuild-fold';

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

if (parentPort !== null && (workerData as Partial<FoldWorkerInit> | null)?.role === WORKER_ROLE) {
  const port = parentPort;
  const init = workerData as FoldWorkerInit;
  const folds = init.partitions.map((p) => new PartitionFold(init.chainId, p, init.hold));
  const pool = new pg.Pool({ ...init.db, max: 6 });
  pool.on('error', () => undefined);
  let writer: RowWriter | null = null;
  const opening = RowWriter.open(
    pool,
    init.schema,
    init.chainId,
    init.confirmedBlock,
    folds.some((f) => f.model.kind === 'pools'),
  ).then((w) => {
    writer = w;
    return w;
  });
  opening.catch(() => undefined);
  let failed: Error | null = null;
  let finished = false;

  const states = (): FoldState[] =>
    folds.map((f) => ({
      position: f.position,
      logs: f.logs,
      blocks: f.blocks,
      dropped: f.dropped,
      queued: f.queued,
      lastSeq: f.lastSeq,
    }));

  const push = (buf: ArrayBuffer, length: number) => {
    const view = new DataView(buf);
    const bytes = new Uint8Array(buf);
    let at = 0;
    while (at < length) {
      const fold = folds[view.getUint8(at)]!;
      const seq = view.getFloat64(at + 1, true);
      const len = view.getUint32(at + 9, true);
      at += FRAME_HEADER;
      fold.push(seq, bytes.subarray(at, at + len));
      at += len;
    }
  };

  const handle = async (
    m: FoldWorkerRequest,
  ): Promise<Omit<FoldWorkerReply, 'id' | 'states' | 'copyWaitMs' | 'cpuSec'>> => {
    switch (m.type) {
      case 'data':
        push(m.buf, m.length);
        return {};
      case 'fold': {
        const w = writer ?? (await opening);
        for (const [i, f] of folds.entries()) f.foldUpTo(m.targets[i]!, m.all, w);
        await w.drain();
        return {};
      }
      case 'swapFold': {
        const batches = folds.map((f, i) => {
          const batch = createBatch(init.chainId, f.partition);
          f.foldUpTo(m.targets[i]!, true, { block: (_p, ch) => accumulate(batch, ch) });
          return batch;
        });
        return { batches };
      }
      case 'finish': {
        const w = writer ?? (await opening);
        const counts = await w.finish(folds);
        finished = true;
        return { counts };
      }
      case 'pools':
        return { pools: folds.map((f) => [...f.pools]) };
      case 'close':
        // Not finished (the rebuild failed): the COPYs are aborted, their connections destroyed.
        if (!finished) (writer ?? (await opening.catch(() => null)))?.abort();
        await pool.end().catch(() => undefined);
        return {};
    }
  };

  // One request at a time, in order (a data chunk must be pushed before the next fold).
  let chain: Promise<void> = Promise.resolve();
  port.on('message', (m: FoldWorkerRequest) => {
    chain = chain.then(async () => {
      if (failed !== null && m.type === 'close') {
        await pool.end().catch(() => undefined);
        port.postMessage(reply(m.id, {}));
        return;
      }
      if (failed !== null) {
        if ('id' in m) port.postMessage(reply(m.id, {}));
        return;
      }
      try {
        const out = await handle(m);
        if ('id' in m) port.postMessage(reply(m.id, out));
      } catch (err) {
        failed = err instanceof Error ? err : new Error(String(err));
        writer?.abort();
        if ('id' in m) port.postMessage(reply(m.id, {}));
      }
    });
  });

  const reply = (
    id: number,
    out: Omit<FoldWorkerReply, 'id' | 'states' | 'copyWaitMs' | 'cpuSec'>,
  ): FoldWorkerReply => {
    const e = failed as (Error & { code?: string; retryable?: boolean }) | null;
    return {
      id,
      states: states(),
      copyWaitMs: copyWait.ms,
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
}
