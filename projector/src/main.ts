import { writeSync } from 'node:fs';
import { jetstream, jetstreamManager } from '@nats-io/jetstream';
import { connect } from '@nats-io/transport-node';
import { createLogger, describeError, guardPool, isTickstreamError, loadConfig } from '@tickstream/shared';
import { Redis } from 'ioredis';
import pg from 'pg';
import { assignmentOf, crashAfterCommit, type ProjectorConfig, selectPartitions } from './config';
import { runProjector } from './service';

/**
 * `tsx projector/src/main.ts`: folds the ledger into Postgres and Redis until SIGINT/SIGTERM.
 * Exit codes: 0 after a clean stop, 1 on a fatal error (PROJECTION_INVARIANT, CHECKPOINT_CONFLICT, …),
 * 2 on a bad configuration.
 */
async function main(): Promise<void> {
  const log = createLogger('projector');
  let cfg: ProjectorConfig;
  let partitions: number;
  try {
    cfg = loadConfig('projector');
    partitions = selectPartitions(cfg.PROJECTOR_PARTITIONS, cfg.PARTITIONS).length;
    assignmentOf(cfg);
  } catch (err) {
    log.fatal({ code: 'CONFIG_INVALID' }, describeError(err));
    process.exit(2);
  }
  log.level = cfg.LOG_LEVEL;
  const controller = new AbortController();
  for (const sig of ['SIGINT', 'SIGTERM'] as const) {
    process.once(sig, () => {
      log.info({ signal: sig }, 'stopping after the current batch');
      controller.abort();
    });
  }
  const crashAt = crashAfterCommit(cfg.PROJECTOR_FAULT);
  let commits = 0;

  // `min`: connections stay open when idle, so a rewind (one transaction per partition at once) finds
  // warm backends instead of paying a connect and a cold catalog cache on each (~40-90 ms here).
  const pool = new pg.Pool({ connectionString: cfg.DATABASE_URL, max: partitions + 2, min: partitions });
  guardPool(pool, log); // a lost connection fails its queries (retried), it does not crash the process
  const redis = new Redis(cfg.REDIS_URL, {
    lazyConnect: true,
    enableOfflineQueue: false,
    maxRetriesPerRequest: 1,
    retryStrategy: (times) => Math.min(times * 200, 2_000),
  });
  redis.on('error', (err: Error) => log.debug({ err: err.message }, 'redis connection error'));
  await redis.connect().catch((err: Error) => log.warn({ err: err.message }, 'redis unavailable at start'));
  const nc = await connect({ servers: cfg.NATS_URL, name: 'tickstream-projector' });
  try {
    log.info(
      { stream: cfg.LEDGER_STREAM_PREFIX, chainId: cfg.CHAIN_ID, fault: cfg.PROJECTOR_FAULT },
      'projector connecting',
    );
    await runProjector(
      {
        pg: pool,
        redis,
        js: jetstream(nc),
        jsm: await jetstreamManager(nc),
        log,
        cfg,
        ...(crashAt === undefined
          ? {}
          : {
              afterCommit: () => {
                commits++;
                if (commits !== crashAt) return;
                // Synchronous: the logger's buffered writes would die with the process.
                writeSync(
                  2,
                  `${JSON.stringify({ level: 40, commits, msg: 'PROJECTOR_FAULT: SIGKILL after commit, before ack' })}\n`,
                );
                process.kill(process.pid, 'SIGKILL');
              },
            }),
      },
      controller.signal,
    );
    log.info('projector stopped');
  } catch (err) {
    log.fatal(
      {
        code: isTickstreamError(err) ? err.code : 'INTERNAL',
        details: isTickstreamError(err) ? err.details : {},
      },
      describeError(err),
    );
    process.exitCode = 1;
  } finally {
    // Every batch is committed and acked by now. A consumer whose feed was closed just after it opened
    // (a partition handed over and stopped at once) can leave nats.js's drain waiting forever: bounded.
    const drained = await Promise.race([
      nc.drain().then(
        () => true,
        () => true,
      ),
      new Promise<false>((resolve) => setTimeout(() => resolve(false), 5_000).unref()),
    ]);
    if (!drained) log.warn('NATS drain did not finish within 5 s; closing the connection');
    await nc.close().catch(() => undefined);
    await pool.end().catch(() => undefined);
    redis.disconnect();
  }
}

await main();
process.exit(process.exitCode ?? 0);
