/**
 * `npm run bench:rebuild`: `projector/src/rebuild/main.ts --json` (its own process, as an operator runs
 * it) over a ledger already in NATS (built once from the cached devnet state by `benchLedger`, then
 * reused), on a fresh database with no live projector, BENCH_RUNS times (default 3).
 *
 * Per run: wall events/s (the rebuild's own figure: read, fold and COPY, keys, swap), its phases, and
 * CPU per event (µs) of the rebuild process (all its threads), of Postgres and of nats-server (every
 * process of that name on the machine, so other load counts in; a rough figure). Last line: one JSON
 * object {runs: [...], best, median}.
 *
 * Env: BENCH_SEED (7), BENCH_TRANSACTIONS (150,000: ≈ 233k logs), BENCH_PARTITIONS (4), BENCH_RUNS (3),
 * BENCH_PROJECTION (all), BENCH_SWAP (1: swap into the fresh database; 0: --no-swap), BENCH_WORKERS
 * (the rebuild's `--workers`; default its own).
 */
import { spawn } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { connect } from '@nats-io/transport-node';
import { createTestDatabase } from '@tickstream/deploy/local';
import { benchLedger } from './ledger';

const SEED = Number(process.env.BENCH_SEED ?? 7);
const TRANSACTIONS = Number(process.env.BENCH_TRANSACTIONS ?? 150_000);
const PARTITIONS = Number(process.env.BENCH_PARTITIONS ?? 4);
const RUNS = Number(process.env.BENCH_RUNS ?? 3);
const PROJECTION = process.env.BENCH_PROJECTION ?? 'all';
const SWAP = process.env.BENCH_SWAP !== '0';

/**
 * CPU seconds (user + system) of every live process whose command name starts with `name`, with the
 * CPU of their exited children (a Postgres backend's, once the postmaster has reaped it).
 */
function cpuOf(name: string): number {
  let ticks = 0;
  for (const pid of readdirSync('/proc')) {
    if (!/^\d+$/.test(pid)) continue;
    try {
      const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
      const comm = stat.slice(stat.indexOf('(') + 1, stat.lastIndexOf(')'));
      if (!comm.startsWith(name)) continue;
      const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      ticks += Number(f[11]) + Number(f[12]) + Number(f[13]) + Number(f[14]);
    } catch {
      // gone meanwhile
    }
  }
  return ticks / 100;
}

interface RunResult {
  events: number;
  seconds: number;
  eventsPerSec: number;
  phases: Record<string, number>;
  cpuUsPerEvent: Record<string, number>;
  peakRssMB: number;
}

const nc = await connect({ servers: process.env.NATS_URL ?? 'nats://127.0.0.1:4222' });
try {
  const ledger = await benchLedger(nc, {
    seed: SEED,
    transactions: TRANSACTIONS,
    txPerBlock: 100,
    partitions: PARTITIONS,
  });
  console.log(
    `ledger ${ledger.prefix}: ${ledger.entries} entries, head ${ledger.head}${ledger.built ? ' (built now)' : ''}`,
  );
  const runs: RunResult[] = [];
  for (let i = 0; i < RUNS; i++) {
    const db = await createTestDatabase('bench_rebuild');
    try {
      const args = ['--import', 'tsx', 'projector/src/rebuild/main.ts', '--json', '--projection', PROJECTION];
      if (!SWAP) args.push('--no-swap');
      if (process.env.BENCH_WORKERS !== undefined) args.push('--workers', process.env.BENCH_WORKERS);
      const pg0 = cpuOf('postgres');
      const nats0 = cpuOf('nats-server');
      const child = spawn(process.execPath, args, {
        env: {
          ...process.env,
          CHAIN_ID: String(ledger.chainId),
          DATABASE_URL: db.url,
          LEDGER_STREAM_PREFIX: ledger.prefix,
          PARTITIONS: String(PARTITIONS),
          REDIS_URL: process.env.BENCH_REDIS_URL ?? 'redis://127.0.0.1:6379/12',
          CONTROL_PLANE: 'none',
          LOG_LEVEL: 'warn',
        },
        stdio: ['ignore', 'pipe', 'pipe'],
      });
      let out = '';
      let err = '';
      child.stdout.on('data', (d: Buffer) => {
        out += d.toString('utf8');
      });
      child.stderr.on('data', (d: Buffer) => {
        err += d.toString('utf8');
      });
      const code = await new Promise<number | null>((resolve) => child.once('exit', (c) => resolve(c)));
      const pgCpu = cpuOf('postgres') - pg0;
      const natsCpu = cpuOf('nats-server') - nats0;
      if (code !== 0) throw new Error(`rebuild failed (exit ${code}):\n${(out + err).slice(-3000)}`);
      const line = out
        .split('\n')
        .reverse()
        .find((l) => l.startsWith('{'));
      const r = JSON.parse(line ?? '{}') as {
        events: number;
        seconds: number;
        eventsPerSec: number;
        phases: Record<string, number>;
        cpuSec: number;
        peakRssMB: number;
        cpu: { mainSec: number; workersSec: number[] };
      };
      const us = (s: number) => Math.round((10 * 1e6 * s) / r.events) / 10;
      const run: RunResult = {
        events: r.events,
        seconds: Math.round(r.seconds * 100) / 100,
        eventsPerSec: r.eventsPerSec,
        phases: Object.fromEntries(Object.entries(r.phases).map(([k, v]) => [k, Math.round(v * 100) / 100])),
        cpuUsPerEvent: {
          rebuild: us(r.cpuSec),
          main: us(r.cpu.mainSec),
          workers: us(r.cpu.workersSec.reduce((a, b) => a + b, 0)),
          postgres: us(pgCpu),
          nats: us(natsCpu),
        },
        peakRssMB: r.peakRssMB,
      };
      runs.push(run);
      console.log(
        `run ${i + 1}: ${run.events} events in ${run.seconds} s = ${run.eventsPerSec} events/s; phases ${JSON.stringify(run.phases)}; CPU µs/event ${JSON.stringify(run.cpuUsPerEvent)}; peak RSS ${run.peakRssMB} MB`,
      );
    } finally {
      await db.drop().catch(() => undefined);
    }
  }
  const sorted = [...runs].sort((a, b) => a.eventsPerSec - b.eventsPerSec);
  const best = sorted[sorted.length - 1]?.eventsPerSec ?? 0;
  const median = sorted[Math.floor(sorted.length / 2)]?.eventsPerSec ?? 0;
  const { loadavg } = await import('node:os');
  console.log(
    `best ${best} events/s, median ${median} (target ≥ 50,000); load average ${loadavg()
      .map((l) => l.toFixed(1))
      .join(' ')}`,
  );
  console.log(JSON.stringify({ runs, best, median }));
} finally {
  await nc.close();
}
