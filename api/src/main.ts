import { createLogger, describeError, guardPool, loadConfig } from '@tickstream/shared';
import { Redis } from 'ioredis';
import pg from 'pg';
import { startApiControl } from './control';
import { createApp } from './http/app';
import { listen } from './http/server';

/** `tsx api/src/main.ts`: serves the REST api until SIGINT/SIGTERM. Exit code 2 on bad config, 1 on failure. */
async function main(): Promise<void> {
  const log = createLogger('api');
  let cfg: ReturnType<typeof loadConfig<'api'>>;
  try {
    cfg = loadConfig('api');
  } catch (err) {
    log.fatal({ code: 'CONFIG_INVALID' }, describeError(err));
    process.exit(2);
  }
  log.level = cfg.LOG_LEVEL;

  const pool = new pg.Pool({ connectionString: cfg.DATABASE_URL, max: 10 });
  guardPool(pool, log); // a lost connection fails its requests (503), it does not crash the process
  // Redis is a hint (the published head): commands fail fast while it is down instead of queueing.
  const redis = new Redis(cfg.REDIS_URL, {
    enableOfflineQueue: false,
    maxRetriesPerRequest: 1,
    lazyConnect: false,
  });
  let redisDown = false;
  redis.on('error', (err) => {
    if (!redisDown)
      log.warn({ err: err.message, url: cfg.REDIS_URL }, 'Redis unavailable; /ready uses checkpoints only');
    redisDown = true;
  });
  redis.on('ready', () => {
    if (redisDown) log.info('Redis back');
    redisDown = false;
  });

  const app = createApp({
    pg: pool,
    redis,
    chainId: cfg.CHAIN_ID,
    log,
    readyMaxLag: cfg.API_READY_MAX_LAG_BLOCKS,
    partitions: cfg.PARTITIONS,
    finalityDepth: cfg.FINALITY_DEPTH,
  });
  let server: Awaited<ReturnType<typeof listen>>;
  try {
    server = await listen(app, { host: cfg.API_HOST, port: cfg.API_PORT });
  } catch (err) {
    log.fatal({ host: cfg.API_HOST, port: cfg.API_PORT }, `cannot listen: ${describeError(err)}`);
    await Promise.allSettled([pool.end(), redis.quit()]);
    process.exit(1);
  }
  log.info({ url: server.url, chainId: cfg.CHAIN_ID }, 'api listening');
  const stopControl = await startApiControl(cfg, redis, log).catch((err: unknown) => {
    log.fatal({ etcd: cfg.ETCD_URL }, `cannot register with the coordinator: ${describeError(err)}`);
    process.exit(1);
  });

  const stop = async (signal: string) => {
    log.info({ signal }, 'api stopping');
    await stopControl?.();
    await server
      .close()
      .catch((err: unknown) => log.warn({ err: describeError(err) }, 'server close failed'));
    await Promise.allSettled([pool.end(), redis.quit()]);
    log.info('api stopped');
  };
  for (const sig of ['SIGINT', 'SIGTERM'] as const) process.once(sig, () => void stop(sig));
}

await main();
