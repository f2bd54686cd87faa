import { hostname } from 'node:os';
import { loadConfig, type ServiceSettings } from '@tickstream/shared';

export type CoordinatorSettings = ServiceSettings<'coordinator'> & { COORDINATOR_ID: string };

/**
 * The coordinator's (and the CLI's) settings from the one shared schema, with `COORDINATOR_ID`
 * defaulting to `<hostname>-<pid>`. Throws CONFIG_INVALID naming each bad variable.
 *
 * @example
 * const { COORDINATOR_LEASE_TTL_S } = loadCoordinatorSettings(); // 3 unless set
 */
export function loadCoordinatorSettings(
  env: Record<string, string | undefined> = process.env,
): CoordinatorSettings {
  const cfg = loadConfig('coordinator', env);
  return { ...cfg, COORDINATOR_ID: cfg.COORDINATOR_ID ?? `${hostname()}-${process.pid}` };
}
