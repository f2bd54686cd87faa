import type { Logger } from '@tickstream/shared';
import { createPublicClient, custom, type PublicClient, webSocket } from 'viem';
import { loadRpcSettings, type RpcSettings } from './config';
import { RpcPool } from './pool';
import type { PoolOptions, ProviderSpec } from './pool-types';
import { httpTransport, type ProviderTransport, viemTransport } from './transport';

/**
 * The RPC client ingest works with: a viem PublicClient whose every call goes through an `RpcPool`
 * (so viem actions work as before), with the pool itself at hand for checked, attributable calls
 * (`getLogs`, `getHeader`, `getHeadNumber` use it).
 */
export type RpcClient = PublicClient & { readonly pool: RpcPool };

export interface RpcClientOptions extends Partial<Omit<PoolOptions, 'timeoutMs' | 'log'>> {
  /** One provider (the pool of one that RPC_URL alone gives). */
  readonly url?: string;
  /** Several providers (RPC_URLS); takes precedence over `url`. */
  readonly providers?: readonly ProviderSpec[];
  readonly timeoutMs: number;
  readonly log?: Logger;
}

const defaults = loadRpcSettings({});

/** Pool tuning when not configured: the defaults of the settings (`config.ts`). */
export const POOL_DEFAULTS = {
  hedgeMs: defaults.RPC_HEDGE_MS,
  cooldownMs: defaults.RPC_COOLDOWN_MS,
  maxCooldownMs: defaults.RPC_COOLDOWN_MAX_MS,
  demoteMs: defaults.RPC_DEMOTE_MS,
} as const;

function transportOf(url: string, timeoutMs: number): ProviderTransport {
  if (!url.startsWith('ws')) return httpTransport(url);
  return viemTransport(
    createPublicClient({ transport: webSocket(url, { retryCount: 0, timeout: timeoutMs }) }),
  );
}

/**
 * An RPC client over one or several providers. viem's own retries are off: `withRetry` owns retry
 * policy over time, the pool owns failover between providers. No limit on answer size (big eth_getLogs).
 *
 * @example
 * const client = createRpcClient({ url: 'http://127.0.0.1:8545', timeoutMs: 10_000 });
 * const client2 = createRpcClient({ providers: [{ url: a }, { url: b, weight: 2 }], timeoutMs: 10_000, log });
 */
export function createRpcClient(opts: RpcClientOptions): RpcClient {
  const specs = opts.providers ?? (opts.url === undefined ? [] : [{ url: opts.url }]);
  const pool = new RpcPool(
    specs.map((spec) => ({ spec, transport: transportOf(spec.url, opts.timeoutMs) })),
    {
      timeoutMs: opts.timeoutMs,
      hedgeMs: opts.hedgeMs ?? POOL_DEFAULTS.hedgeMs,
      cooldownMs: opts.cooldownMs ?? POOL_DEFAULTS.cooldownMs,
      maxCooldownMs: opts.maxCooldownMs ?? POOL_DEFAULTS.maxCooldownMs,
      demoteMs: opts.demoteMs ?? POOL_DEFAULTS.demoteMs,
      ...(opts.log === undefined ? {} : { log: opts.log }),
      ...(opts.now === undefined ? {} : { now: opts.now }),
    },
  );
  return clientOverPool(pool);
}

/** A viem client whose calls go through `pool`. */
export function clientOverPool(pool: RpcPool): RpcClient {
  const client = createPublicClient({
    transport: custom(
      {
        request: ({ method, params }: { method: string; params?: unknown }) =>
          pool.request(method, paramsOf(params)),
      },
      { retryCount: 0 },
    ),
    cacheTime: 0,
    pollingInterval: 1_000,
  });
  return Object.assign(client, { pool }) as RpcClient;
}

function paramsOf(params: unknown): readonly unknown[] {
  if (params === undefined) return [];
  return Array.isArray(params) ? params : [params];
}

/**
 * The client of ingest's settings: RPC_URLS when set, else RPC_URL alone, with the pool's tuning.
 *
 * @example const client = rpcClientOf(cfg, loadRpcSettings(), log);
 */
export function rpcClientOf(
  cfg: { readonly RPC_URL?: string | undefined; readonly RPC_TIMEOUT_MS: number },
  rpc: RpcSettings,
  log?: Logger,
): RpcClient {
  return createRpcClient({
    providers: rpc.RPC_URLS ?? (cfg.RPC_URL === undefined ? [] : [{ url: cfg.RPC_URL }]),
    timeoutMs: cfg.RPC_TIMEOUT_MS,
    hedgeMs: rpc.RPC_HEDGE_MS,
    cooldownMs: rpc.RPC_COOLDOWN_MS,
    maxCooldownMs: rpc.RPC_COOLDOWN_MAX_MS,
    demoteMs: rpc.RPC_DEMOTE_MS,
    ...(log === undefined ? {} : { log }),
  });
}

const adopted = new WeakMap<object, RpcPool>();

/**
 * The pool behind a client: its own for an `RpcClient`, else a pool of one provider around the plain
 * viem client (made once per client), so every request function works with either.
 */
export function poolOf(client: PublicClient | RpcClient | RpcPool): RpcPool {
  if (client instanceof RpcPool) return client;
  if ('pool' in client && client.pool instanceof RpcPool) return client.pool;
  let pool = adopted.get(client);
  if (pool === undefined) {
    pool = new RpcPool([{ spec: { url: 'client:' }, transport: viemTransport(client), name: 'client' }], {
      ...POOL_DEFAULTS,
      timeoutMs: 600_000,
    });
    adopted.set(client, pool);
  }
  return pool;
}
