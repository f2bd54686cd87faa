import { createPublicClient, http, type PublicClient, webSocket } from 'viem';

export interface RpcClientOptions {
  readonly url: string;
  readonly timeoutMs: number;
}

/**
 * A viem client for one RPC endpoint. viem's own retries are off: `withRetry` owns retry policy so
 * that every failure is logged and counted in one place. Responses up to 512 MiB (big eth_getLogs).
 *
 * @example const client = createRpcClient({ url: 'http://127.0.0.1:8545', timeoutMs: 10_000 });
 */
export function createRpcClient(opts: RpcClientOptions): PublicClient {
  const isWs = opts.url.startsWith('ws');
  const transport = isWs
    ? webSocket(opts.url, { retryCount: 0, timeout: opts.timeoutMs })
    : http(opts.url, {
        retryCount: 0,
        timeout: opts.timeoutMs,
        batch: { batchSize: 200, wait: 0 },
        maxResponseBodySize: 512 * 1024 * 1024,
      });
  return createPublicClient({ transport, cacheTime: 0, pollingInterval: 1_000 });
}
