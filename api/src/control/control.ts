import { type Command, connectEtcd, type ModuleHandle, registerModule } from '@tickstream/coordinator/client';
import type { Logger, ServiceSettings } from '@tickstream/shared';
import type { Redis } from 'ioredis';
import { publishReorgNotice } from './notices';

/**
 * The api's side of the control plane (CONTROL_PLANE=etcd): registered as module `api`, it answers the
 * coordinator's steps. The api keeps no state of its own (every request reads one Postgres snapshot),
 * so its roll-back step is the reorg notice to clients; suspend and restore are reported in its status.
 * Returns a stop function, or null without the control plane.
 */
export async function startApiControl(
  cfg: ServiceSettings<'api'>,
  redis: Redis,
  log: Logger,
): Promise<(() => Promise<void>) | null> {
  if (cfg.CONTROL_PLANE === 'none') return null;
  const etcd = connectEtcd(cfg.ETCD_URL);
  let handle: ModuleHandle | null = null;
  const onCommand = async (cmd: Command): Promise<unknown> => {
    switch (cmd.step) {
      case 'rollback': {
        const notice = {
          reorgId: cmd.reorgId,
          targetBlock: cmd.targetBlock ?? 0,
          newBlockHash: cmd.newBlockHash ?? null,
          at: new Date().toISOString(),
        };
        await publishReorgNotice(redis, cfg.CHAIN_ID, notice);
        log.info(notice, 'reorg notice published');
        return { notice };
      }
      case 'suspend':
      case 'pause':
        await handle?.update({ state: 'suspended' });
        return {};
      case 'restore':
      case 'resume':
        await handle?.update({ state: 'running' });
        return {};
    }
  };
  handle = await registerModule(etcd, {
    chainId: cfg.CHAIN_ID,
    kind: 'api',
    id: cfg.MODULE_ID ?? `api-${process.pid}`,
    leaseTtlS: cfg.MODULE_LEASE_TTL_S,
    onCommand,
    log,
  });
  log.info({ module: handle.key }, 'registered with the coordinator');
  return async () => {
    await handle?.close().catch(() => {});
    etcd.close();
  };
}
