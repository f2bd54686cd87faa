import { createLogger, describeError, loadConfig } from '@tickstream/shared';
import { loadCoordinatorSettings } from './config';
import { connectEtcd } from './connect';
import { Candidate, type Leadership } from './election';
import { runLeader } from './protocol';

/**
 * The coordinator process (run three per chain): campaigns for leadership, runs the reorg protocol
 * while leader, hands over on operator request, and on SIGTERM or SIGINT resigns and exits 0.
 * Logs JSON lines: "elected leader" (campaignMs), "reorg step", "reorg done" (durationMs),
 * "leadership lost" (reason, refusedWrites).
 */
async function main(): Promise<void> {
  const cfg = loadConfig('coordinator');
  const settings = loadCoordinatorSettings();
  const id = settings.COORDINATOR_ID;
  const ttl = settings.COORDINATOR_LEASE_TTL_S;
  const log = createLogger('coordinator', cfg.LOG_LEVEL).child({ coordinator: id, chainId: cfg.CHAIN_ID });
  const etcd = connectEtcd(cfg.ETCD_URL);
  const stop = new AbortController();
  let signals = 0;
  const onSignal = (sig: NodeJS.Signals) => {
    if (++signals > 1) process.exit(1);
    log.info({ signal: sig }, 'shutting down');
    stop.abort();
  };
  process.on('SIGTERM', onSignal);
  process.on('SIGINT', onSignal);

  const candidate = new Candidate(etcd, { chainId: cfg.CHAIN_ID, id, leaseTtlS: ttl, log });
  log.info({ etcd: cfg.ETCD_URL, leaseTtlS: ttl }, 'coordinator started');
  let leadership: Leadership | undefined;
  while (!stop.signal.aborted) {
    const campaignStart = Date.now();
    try {
      leadership = await candidate.campaign(stop.signal);
    } catch {
      break; // stopped while campaigning
    }
    log.info({ token: leadership.token, campaignMs: Date.now() - campaignStart }, 'elected leader');
    const outcome = await runLeader(etcd, leadership, { log, pollMs: ttl * 1_000, signal: stop.signal });
    if (outcome === 'stopped') break;
    if (outcome === 'resign') {
      await candidate.resign(leadership, 'resigned on operator request').catch(() => undefined);
      log.info({ token: leadership.token }, 'resigned on operator request');
      const other = await candidate
        .waitForOtherLeader(leadership.token, 2 * ttl * 1_000, stop.signal)
        .catch(() => false);
      log.info({ handedOver: other }, other ? 'another coordinator leads' : 'no other coordinator took over');
      continue;
    }
    await leadership.settled(); // count the answers of writes still in flight
    log.warn(
      {
        token: leadership.token,
        reason: leadership.endReason,
        writes: leadership.stats.writes,
        refusedWrites: leadership.stats.refused,
        ledMs: Date.now() - leadership.since,
      },
      'leadership lost',
    );
  }
  if (leadership?.active) {
    await candidate
      .resign(leadership, 'shutdown')
      .catch((err) => log.warn({ err: describeError(err) }, 'resign failed'));
    log.info({ token: leadership.token }, 'resigned on shutdown');
  }
  await candidate.close();
  etcd.close();
  log.info('coordinator stopped');
  log.flush();
  process.exit(0);
}

main().catch((err: unknown) => {
  console.error(`coordinator: ${describeError(err)}`);
  process.exit(1);
});
