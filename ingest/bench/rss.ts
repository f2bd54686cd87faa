/**
 * Ingest's peak memory as its own process (its bundle, `spawnService`, as `npm start` and bench:sync run
 * it): the backfill from `fromBlock` to the head of a running devnet, the process's
 * VmHWM (peak RSS) sampled from /proc until the ledger ends with the head's seals.
 */
import { readFileSync } from 'node:fs';
import type { JetStreamManager } from '@nats-io/jetstream';
import { createTestDatabase, waitFor } from '@tickstream/deploy/local';
import { decodeEntry, streamName } from '@tickstream/shared';
import { spawnService } from '../test/support/process';

export interface RssRun {
  readonly fromBlock: number;
  /** Ledger entries (logs and seals). */
  readonly entries: number;
  readonly peakRssMB: number;
  readonly seconds: number;
  /** CPU (user + system) of the whole process, start-up and the follower's last blocks included. */
  readonly cpuUsPerEntry: number;
}

function procStatus(pid: number | undefined): { hwmMB: number; cpuSecs: number } {
  try {
    const status = readFileSync(`/proc/${pid}/status`, 'utf8');
    const m = /VmHWM:\s+(\d+) kB/.exec(status);
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return {
      hwmMB: m === null ? 0 : Math.round(Number(m[1]) / 1024),
      cpuSecs: (Number(f[11]) + Number(f[12])) / 100,
    };
  } catch {
    return { hwmMB: 0, cpuSecs: 0 };
  }
}

/**
 * Runs ingest from `fromBlock` to `head` (a fresh stream and database) and returns its peak RSS.
 * `env` adds to the ingest environment (e.g. BACKFILL_* settings).
 */
export async function measureIngestRss(opts: {
  readonly jsm: JetStreamManager;
  readonly rpcUrl: string;
  readonly chainId: number;
  readonly factory: string;
  readonly positionManager: string;
  readonly fromBlock: number;
  readonly head: number;
  readonly env?: Record<string, string>;
  /** The entry point (default `ingest/src/main.ts`). */
  readonly entry?: string;
  /** Given the process's output once it is stopped (for diagnosis). */
  readonly onOutput?: (output: string) => void;
}): Promise<RssRun> {
  const db = await createTestDatabase('bench_ingest_rss');
  const prefix = `RSS${Date.now()}`;
  const stream = streamName(prefix, opts.chainId);
  const start = performance.now();
  const ingest = spawnService(opts.entry ?? 'ingest/src/main.ts', {
    CHAIN_ID: String(opts.chainId),
    LEDGER_STREAM_PREFIX: prefix,
    CONTROL_PLANE: 'none',
    LOG_LEVEL: 'warn',
    RPC_URL: opts.rpcUrl,
    FACTORY_ADDRESS: opts.factory,
    POSITION_MANAGER_ADDRESS: opts.positionManager,
    START_BLOCK: String(opts.fromBlock),
    DATABASE_URL: db.url,
    ...opts.env,
  });
  let peak = 0;
  let cpu = 0;
  const sample = () => {
    const s = procStatus(ingest.child.pid);
    peak = Math.max(peak, s.hwmMB);
    cpu = Math.max(cpu, s.cpuSecs);
  };
  const timer = setInterval(sample, 100);
  try {
    await waitFor(
      async () => {
        if (ingest.child.exitCode !== null || ingest.child.signalCode !== null) {
          throw new Error(`ingest exited:\n${ingest.output().slice(-3000)}`);
        }
        const info = await opts.jsm.streams.info(stream).catch(() => undefined);
        if (info === undefined || info.state.last_seq === 0) return false;
        const m = await opts.jsm.streams.getMessage(stream, { seq: info.state.last_seq });
        const e = m === null ? undefined : decodeEntry(m.data);
        return e?.kind === 'seal' && e.partition === 'tokens' && e.blockNumber >= opts.head;
      },
      {
        timeoutMs: 1_800_000,
        what: `ingest to append block ${opts.head}`,
        intervalMs: 20,
        maxIntervalMs: 100,
      },
    );
    const seconds = (performance.now() - start) / 1000;
    sample();
    const info = await opts.jsm.streams.info(stream);
    const entries = info.state.messages;
    return {
      fromBlock: opts.fromBlock,
      entries,
      peakRssMB: peak,
      seconds,
      cpuUsPerEntry: (1e6 * cpu) / entries,
    };
  } finally {
    clearInterval(timer);
    await ingest.kill();
    opts.onOutput?.(ingest.output());
    await opts.jsm.streams.delete(stream).catch(() => false);
    await db.drop().catch(() => undefined);
  }
}
