import { jetstreamManager } from '@nats-io/jetstream';
import { createLogger, describeError, guardPool, isTickstreamError, loadConfig } from '@tickstream/shared';
import pg from 'pg';
import { connectLedger, ensureStream } from './publish';
import { loadRpcSettings, type RpcSettings, rpcClientOf } from './rpc';
import { routeContextOf, runIngest } from './service';

/** `tsx ingest/src/main.ts`: runs ingest until SIGINT/SIGTERM. Exit code 1 with a named error otherwise. */
async function main(): Promise<void> {
  const log = createLogger('ingest');
  let cfg: ReturnType<typeof loadConfig<'ingest'>>;
  let rpc: RpcSettings;
  try {
    cfg = loadConfig('ingest');
    rpc = loadRpcSettings();
  } catch (err) {
    log.fatal({ code: 'CONFIG_INVALID' }, describeError(err));
    process.exit(2);
  }
  log.level = cfg.LOG_LEVEL;
  const controller = new AbortController();
  for (const sig of ['SIGINT', 'SIGTERM'] as const) process.once(sig, () => controller.abort());

  const pool = new pg.Pool({ connectionString: cfg.DATABASE_URL, max: 4 });
  guardPool(pool, log); // a lost connection fails its queries (retried), it does not crash the process
  const nc = await connectLedger(cfg.NATS_URL, 'tickstream-ingest');
  try {
    const jsm = await jetstreamManager(nc);
    const target = { prefix: cfg.LEDGER_STREAM_PREFIX, chainId: cfg.CHAIN_ID };
    const stream = await ensureStream(jsm, target);
    const client = rpcClientOf(cfg, rpc, log);
    const providers = client.pool.snapshot().map((p) => p.name);
    log.info({ stream, rpc: providers, startBlock: cfg.START_BLOCK }, 'ingest starting');
    await runIngest({
      client,
      pg: pool,
      nc,
      jsm,
      log,
      cfg,
      route: routeContextOf(cfg),
      target,
      signal: controller.signal,
    });
    log.info('ingest stopped');
  } catch (err) {
    if (controller.signal.aborted) {
      // Stopped while a call was failing (an RPC that went away): a stop, not a crash.
      log.info({ err: describeError(err) }, 'ingest stopped');
      return;
    }
    log.fatal(
      {
        code: isTickstreamError(err) ? err.code : 'INTERNAL',
        details: isTickstreamError(err) ? err.details : {},
      },
      describeError(err),
    );
    process.exitCode = 1;
  } finally {
    await nc.drain().catch(() => {});
    await pool.end().catch(() => {});
  }
}

await main();
// Sockets that outlive the run (a WebSocket head subscription) must not keep the process alive.
process.exit(process.exitCode ?? 0);
