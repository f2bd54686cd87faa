/**
 * CPU of the servers a bench phase drives, which the phase's own processes do not count: the Postgres
 * backends connected to a database (sampled from `pg_stat_activity` while they live: a backend's CPU is
 * gone from /proc once it exits) and the NATS server. Linux only (/proc); 0 where unreadable.
 */
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { DEFAULT_PG_ADMIN_URL } from '@tickstream/deploy/local';
import pg from 'pg';

/** CPU seconds (user + system) a live process has used so far (/proc/<pid>/stat utime + stime). */
export function cpuSecs(pid: number | undefined): number {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return (Number(f[11]) + Number(f[12])) / 100; // clock ticks (USER_HZ = 100)
  } catch {
    return 0;
  }
}

/** The pid of the local nats-server (the first one `pgrep` finds), or undefined. */
function natsPid(): number | undefined {
  try {
    const out = execFileSync('pgrep', ['-o', 'nats-server'], { encoding: 'utf8' }).trim();
    return out === '' ? undefined : Number(out);
  } catch {
    return undefined;
  }
}

/**
 * Samples, every 250 ms, the CPU of each Postgres backend of `database` (the highest seen per pid,
 * so backends that come and go are counted up to their last sample) and of the NATS server.
 *
 * @example
 * const servers = await ServerCpu.start([db.name]);
 * … the phase …
 * const { postgresSec, natsSec } = await servers.stop();
 */
export class ServerCpu {
  readonly #backends = new Map<number, number>();
  /** CPU of the backends alive at start, then: only what they use from now on counts. */
  readonly #before = new Map<number, number>();
  readonly #nats = natsPid();
  readonly #natsStart = cpuSecs(this.#nats);
  #timer: NodeJS.Timeout | undefined;
  #busy = false;

  private constructor(
    private readonly admin: pg.Pool,
    private readonly databases: readonly string[],
  ) {}

  /**
   * Starts sampling the backends of `databases` (those alive now count from now), through a connection
   * of its own to `PG_ADMIN_URL` (default: the local server as user postgres).
   */
  static async start(databases: readonly string[]): Promise<ServerCpu> {
    const admin = new pg.Pool({ connectionString: process.env.PG_ADMIN_URL ?? DEFAULT_PG_ADMIN_URL, max: 1 });
    const s = new ServerCpu(admin, databases);
    await s.sample();
    for (const [pid, t] of s.#backends) s.#before.set(pid, t);
    s.#timer = setInterval(() => void s.sample(), 250);
    return s;
  }

  async sample(): Promise<void> {
    if (this.#busy) return;
    this.#busy = true;
    try {
      const { rows } = await this.admin.query<{ pid: number }>(
        'SELECT pid FROM pg_stat_activity WHERE datname = ANY($1::text[])',
        [this.databases],
      );
      for (const { pid } of rows) {
        const t = cpuSecs(pid);
        if (t > (this.#backends.get(pid) ?? 0)) this.#backends.set(pid, t);
      }
    } catch {
      // the server is busy or gone: the next sample tries again
    } finally {
      this.#busy = false;
    }
  }

  /** Stops sampling after a last sample; CPU seconds of the database's backends and of NATS since start. */
  async stop(): Promise<{ postgresSec: number; natsSec: number }> {
    await this.sample();
    clearInterval(this.#timer);
    await this.admin.end();
    let postgresSec = 0;
    for (const [pid, t] of this.#backends) postgresSec += t - (this.#before.get(pid) ?? 0);
    return { postgresSec, natsSec: cpuSecs(this.#nats) - this.#natsStart };
  }
}
