import { parseArgs } from 'node:util';
import type { ProjectorConfig } from '../config';
import { bundleWorker } from './bundle';

// The fold workers' bundle is built (esbuild's own process) while the rest of the rebuild loads.
void bundleWorker();
const { jetstreamManager } = await import('@nats-io/jetstream');
const { connect } = await import('@nats-io/transport-node');
const { createLogger, describeError, guardPool, isTickstreamError, loadConfig } = await import(
  '@tickstream/shared'
);
const { Redis } = await import('ioredis');
const { default: pg } = await import('pg');
const { progressLine } = await import('./progress');
const { rebuildProjections } = await import('./rebuild');

/**
 * `tsx projector/src/rebuild/main.ts [--projection all|pools|tokens] [--schema name] [--no-swap] [--json] [--workers N]`:
 * rebuilds projections from the ledger (settings from the environment, like the projector) and swaps
 * them in. A progress line on stderr (structured logs at LOG_LEVEL=info), the result on stdout (one
 * JSON object with --json). Exit codes: 0 done, 1 failed, 2 bad configuration or arguments.
 */
async function main(): Promise<void> {
  const log = createLogger('rebuild');
  let cfg: ProjectorConfig;
  let args: ReturnType<typeof parse>;
  try {
    args = parse();
    cfg = loadConfig('projector');
  } catch (err) {
    log.fatal({ code: 'CONFIG_INVALID' }, describeError(err));
    process.exit(2);
  }
  log.level = process.env.LOG_LEVEL ?? 'warn';
  const pool = new pg.Pool({ connectionString: cfg.DATABASE_URL, max: 8 });
  guardPool(pool, log);
  const redis = new Redis(cfg.REDIS_URL, {
    lazyConnect: true,
    enableOfflineQueue: false,
    maxRetriesPerRequest: 1,
  });
  redis.on('error', () => undefined);
  const withRedis = await redis.connect().then(
    () => true,
    () => false,
  );
  const nc = await connect({ servers: cfg.NATS_URL, name: 'tickstream-rebuild' });
  const tty = process.stderr.isTTY === true;
  try {
    const r = await rebuildProjections(
      {
        pg: pool,
        nc,
        jsm: await jetstreamManager(nc),
        log,
        cfg,
        redis: withRedis ? redis : undefined,
      },
      {
        projection: args.values.projection,
        ...(args.values.schema === undefined ? {} : { schema: args.values.schema }),
        swap: args.values['no-swap'] !== true,
        ...(args.values.workers === undefined ? {} : { workers: Number(args.values.workers) }),
        onProgress: (p) => process.stderr.write(tty ? `\r${progressLine(p)}\x1b[K` : `${progressLine(p)}\n`),
      },
    );
    if (tty) process.stderr.write('\n');
    if (args.values.json === true) {
      const cpu = process.cpuUsage();
      console.log(
        JSON.stringify({
          ...r,
          peakRssMB: Math.round(process.resourceUsage().maxRSS / 1024),
          cpuSec: (cpu.user + cpu.system) / 1e6,
        }),
      );
    } else {
      console.log(
        `rebuilt ${r.projection} (${r.partitions.join(', ')}): ${r.events} events, ${r.entries} entries in ${r.seconds.toFixed(2)} s = ${r.eventsPerSec} events/s`,
      );
      console.log(
        `rows: ${Object.entries(r.rows)
          .map(([t, n]) => `${t} ${n}`)
          .join(', ')}`,
      );
      console.log(
        r.swapped
          ? `swapped in; the replaced tables are in ${r.archive ?? '(dropped)'}`
          : `left in schema ${r.schema} (--no-swap)`,
      );
    }
  } catch (err) {
    if (tty) process.stderr.write('\n');
    log.fatal({ code: isTickstreamError(err) ? err.code : 'INTERNAL' }, describeError(err));
    console.error(`rebuild failed: ${describeError(err)}`);
    process.exitCode = isTickstreamError(err, 'BAD_REQUEST') ? 2 : 1;
  } finally {
    await nc.close().catch(() => undefined);
    await pool.end().catch(() => undefined);
    redis.disconnect();
  }
}

function parse() {
  return parseArgs({
    options: {
      projection: { type: 'string' },
      schema: { type: 'string' },
      'no-swap': { type: 'boolean' },
      json: { type: 'boolean' },
      workers: { type: 'string' },
    },
  });
}

await main();
process.exit(process.exitCode ?? 0);
