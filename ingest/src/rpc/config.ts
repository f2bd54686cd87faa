import { loadConfig, type Settings } from '@tickstream/shared';

const NAMES = [
  'RPC_URLS',
  'RPC_HEDGE_MS',
  'RPC_COOLDOWN_MS',
  'RPC_COOLDOWN_MAX_MS',
  'RPC_DEMOTE_MS',
  'BACKFILL_CONCURRENCY',
  'BACKFILL_TARGET_LOGS',
  'BACKFILL_MAX_LOGS',
  'BACKFILL_MAX_INFLIGHT_LOGS',
] as const;

/** The RPC pool's and the adaptive backfill's settings (part of the one shared schema). */
export type RpcSettings = Pick<Settings, (typeof NAMES)[number]>;
export type RpcSettingName = keyof RpcSettings;

/**
 * The pool and backfill settings, read like every setting (`loadConfig`: the TICKSTREAM_CONFIG file,
 * then the environment). Throws CONFIG_INVALID naming every bad one.
 *
 * @example const rpc = loadRpcSettings(); // RPC_URLS='[{"url":"https://a"},{"url":"https://b","weight":2}]'
 */
export function loadRpcSettings(env: Record<string, string | undefined> = process.env): RpcSettings {
  const cfg = loadConfig('cli', env);
  const out: Record<string, unknown> = {};
  for (const name of NAMES) if (cfg[name] !== undefined) out[name] = cfg[name];
  return out as RpcSettings;
}

let fromEnv: RpcSettings | undefined;

/**
 * The pool and backfill settings for a service config: the values `cfg` carries (once the shared
 * schema has them), else those of the environment, read once.
 */
export function rpcSettingsOf(cfg: object): RpcSettings {
  fromEnv ??= loadRpcSettings();
  const own = cfg as Partial<Record<RpcSettingName, unknown>>;
  const out: Record<string, unknown> = { ...fromEnv };
  for (const key of NAMES) if (own[key] !== undefined) out[key] = own[key];
  return out as RpcSettings;
}
