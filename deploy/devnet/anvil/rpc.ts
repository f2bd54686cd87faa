import { TickstreamError } from '@tickstream/shared/errors';

/** One JSON-RPC call. */
export interface RpcCall {
  readonly method: string;
  readonly params?: readonly unknown[];
}

/**
 * A minimal JSON-RPC client over HTTP (keep-alive `fetch`), with batches. The devnet's hot path sends
 * hundreds of raw transactions per block: one batch request instead of one request each.
 */
export interface JsonRpc {
  readonly url: string;
  request<T = unknown>(method: string, params?: readonly unknown[]): Promise<T>;
  /** Sends the calls as one batch; results come back in the order of `calls`; any error throws. */
  batch<T = unknown>(calls: readonly RpcCall[]): Promise<T[]>;
}

interface RpcResponse {
  id: number;
  result?: unknown;
  error?: { code: number; message: string; data?: unknown };
}

/**
 * @example
 * const rpc = createJsonRpc('http://127.0.0.1:8545');
 * const chainId = await rpc.request<string>('eth_chainId');
 */
export function createJsonRpc(url: string): JsonRpc {
  let nextId = 1;
  const post = async (body: unknown): Promise<unknown> => {
    let res: Response;
    try {
      res = await fetch(url, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify(body),
      });
    } catch (cause) {
      throw new TickstreamError('DEVNET_ERROR', `devnet RPC ${url} cannot be reached`, {
        retryable: true,
        cause,
      });
    }
    if (!res.ok) {
      throw new TickstreamError('DEVNET_ERROR', `devnet RPC ${url} answered HTTP ${res.status}`, {
        retryable: true,
        details: { body: (await res.text()).slice(0, 500) },
      });
    }
    return res.json();
  };
  const unwrap = (call: RpcCall, r: RpcResponse | undefined): unknown => {
    if (r === undefined) {
      throw new TickstreamError('DEVNET_ERROR', `devnet RPC gave no answer to ${call.method}`);
    }
    if (r.error !== undefined) {
      throw new TickstreamError('DEVNET_ERROR', `${call.method} failed: ${r.error.message}`, {
        details: { code: r.error.code, data: r.error.data },
      });
    }
    return r.result;
  };
  return {
    url,
    async request<T>(method: string, params: readonly unknown[] = []): Promise<T> {
      const call = { method, params };
      const r = (await post({ jsonrpc: '2.0', id: nextId++, method, params })) as RpcResponse;
      return unwrap(call, r) as T;
    },
    async batch<T>(calls: readonly RpcCall[]): Promise<T[]> {
      if (calls.length === 0) return [];
      const first = nextId;
      nextId += calls.length;
      const body = calls.map((c, i) => ({
        jsonrpc: '2.0',
        id: first + i,
        method: c.method,
        params: c.params ?? [],
      }));
      const answers = (await post(body)) as RpcResponse[];
      const byId = new Map(answers.map((a) => [a.id, a]));
      return calls.map((c, i) => unwrap(c, byId.get(first + i)) as T);
    },
  };
}
