import { describeError, guardPool, type Logger, type Partition } from '@tickstream/shared';
import type { Pool, PoolClient } from 'pg';

/** A Postgres session that held one of a partition's rows when its new owner took it. */
export interface StalledWriter {
  readonly pid: number;
  /** Which of the partition's rows it held locked: `checkpoint`, `finality`. */
  readonly rows: string[];
  readonly state: string | null;
  /** How long its transaction had been open (ms). */
  readonly xactMs: number | null;
  /** True once the session is gone (its transaction rolled back, its locks released). */
  readonly terminated: boolean;
}

/**
 * The partition's rows that every writer locks first (`proj_checkpoints`: batch commits, passed
 * rollbacks, rewinds; `proj_finality`: finality passes, rewinds), and the sessions other than this one
 * and this process's own (`$3`) whose open transaction holds them: a locked row's `xmax` is the id of
 * the transaction that locks it, which holds the `ExclusiveLock` on its own id while it lives. Each such
 * session is terminated, waiting up to `$4` ms for it to be gone.
 */
const EVICT = `
WITH held AS (
  SELECT l.pid, array_agg(t.what ORDER BY t.what) AS rows
    FROM (SELECT 'checkpoint' AS what, xmax FROM proj_checkpoints WHERE chain_id = $1 AND partition = $2
          UNION ALL
          SELECT 'finality', xmax FROM proj_finality WHERE chain_id = $1 AND partition = $2) t
    JOIN pg_locks l ON l.locktype = 'transactionid' AND l.transactionid = t.xmax
                   AND l.mode = 'ExclusiveLock' AND l.granted
   WHERE l.pid <> pg_backend_pid() AND l.pid <> ALL($3::int[])
   GROUP BY l.pid
)
SELECT h.pid, h.rows, a.state,
       (extract(epoch FROM clock_timestamp() - a.xact_start) * 1000)::bigint AS xact_ms,
       pg_terminate_backend(h.pid, $4::bigint) AS terminated
  FROM held h LEFT JOIN pg_stat_activity a ON a.pid = h.pid`;

interface EvictRow {
  pid: number;
  rows: string[];
  state: string | null;
  xact_ms: string | null;
  terminated: boolean;
}

/**
 * Takeover fencing in Postgres. An owner checks its lease before each write, but a write it began
 * while the lease was fresh can stall inside its transaction for as long as the process is frozen
 * (SIGSTOP, a VM paused, a swap storm): the transaction keeps the partition's checkpoint row locked (the
 * compare-and-set is its first statement) and its uncommitted rows, so the successor's first commit
 * waits on that lock until the frozen process wakes, possibly forever. TCP keep-alives do not end such
 * a session (the frozen process's kernel answers them). So before a runner starts on a partition this
 * process now holds a claim on, `evict` terminates every other session whose transaction holds the
 * partition's checkpoint or finality row: under our claim, that can only be a previous owner's write
 * (a clean hand-over commits before the claim goes; a dead process's sessions are gone). Terminating
 * only rolls it back: nothing it wrote is kept, and the checkpoint compare-and-set refuses whatever it
 * might try after waking.
 *
 * The fence also watches this process's pool (`guard`): its own sessions are never evicted (the
 * finality task may be confirming the partition), and the pool is guarded (`guardPool`, as every
 * service's is), so a session terminated under a checked-out client (by a successor's fence) fails that
 * client's queries instead of crashing the process.
 *
 * A previous owner's first commit of a partition (no checkpoint row yet: nothing to find by `xmax`) is
 * not fenced; the successor waits for it.
 *
 * @example
 * const fence = new TakeoverFence(pool, 31337, log);
 * await fence.evict(2); // then start the runner of partition 2
 */
export class TakeoverFence {
  readonly #pool: Pool;
  readonly #chainId: number;
  readonly #log: Logger;
  readonly #waitMs: number;
  /** Backend pids of this process's pool clients. */
  readonly #own = new Set<number>();
  #watching = false;

  /** `waitMs`: how long `evict` waits for a terminated session to be gone. */
  constructor(pool: Pool, chainId: number, log: Logger, waitMs = 5_000) {
    this.#pool = pool;
    this.#chainId = chainId;
    this.#log = log;
    this.#waitMs = waitMs;
  }

  /** Watches the pool's clients from now on (see the class comment); once. */
  guard(): void {
    if (this.#watching) return;
    this.#watching = true;
    const pool = this.#pool;
    if (typeof pool.on !== 'function') return; // a test double of the pool
    guardPool(pool, this.#log);
    pool.on('acquire', (client) => {
      const pid = backendPid(client);
      if (pid !== null) this.#own.add(pid);
    });
    pool.on('remove', (client) => {
      const pid = backendPid(client);
      if (pid !== null) this.#own.delete(pid);
    });
  }

  /**
   * Ends every other session's transaction on the partition's rows (see the class comment); returns
   * them. Never rejects: a failure is logged and the runner starts all the same (it retries its own
   * queries). Returns at once when `signal` aborts (the runner is stopping before it began).
   */
  async evict(partition: Partition, signal?: AbortSignal): Promise<StalledWriter[]> {
    if (signal?.aborted) return [];
    this.guard();
    const name = String(partition);
    const evicted = this.#pool
      .query<EvictRow>(EVICT, [this.#chainId, name, [...this.#own], this.#waitMs])
      .then(({ rows }) => {
        const out = rows.map(
          (r): StalledWriter => ({
            pid: r.pid,
            rows: r.rows,
            state: r.state,
            xactMs: r.xact_ms === null ? null : Number(r.xact_ms),
            terminated: r.terminated,
          }),
        );
        for (const w of out) {
          this.#log.warn(
            {
              partition: name,
              backendPid: w.pid,
              rows: w.rows,
              state: w.state,
              xactMs: w.xactMs,
              terminated: w.terminated,
            },
            'a previous owner held the partition in an open transaction: its session is terminated',
          );
        }
        return out;
      })
      .catch((err: unknown) => {
        this.#log.warn(
          { partition: name, err: describeError(err) },
          'could not look for a previous owner still writing the partition; starting all the same',
        );
        return [] as StalledWriter[];
      });
    if (signal === undefined) return evicted;
    let onAbort: () => void = () => undefined;
    const aborted = new Promise<StalledWriter[]>((resolve) => {
      onAbort = () => resolve([]);
      signal.addEventListener('abort', onAbort, { once: true });
    });
    try {
      return await Promise.race([evicted, aborted]);
    } finally {
      signal.removeEventListener('abort', onAbort);
    }
  }
}

/** The backend pid of a connected client (pg's `processID`, which its types do not declare). */
function backendPid(client: PoolClient): number | null {
  const pid = (client as unknown as { processID?: unknown }).processID;
  return typeof pid === 'number' ? pid : null;
}
