import { type Hex, TickstreamError } from '@tickstream/shared';
import type { PublicClient } from 'viem';
import { type ChainHeader, type ChainLog, checkLogs, parseHeader, parseLog } from './validate';

const toQty = (n: number): Hex => `0x${n.toString(16)}`;

/** Wraps transport failures as retryable RPC_ERROR naming the call. */
async function call(client: PublicClient, what: string, method: string, params: unknown[]): Promise<unknown> {
  try {
    // biome-ignore lint/suspicious/noExplicitAny: raw JSON-RPC, checked by the parse functions below
    return await client.request({ method, params } as any);
  } catch (cause) {
    throw new TickstreamError('RPC_ERROR', `${what} failed: ${(cause as Error).message?.split('\n')[0]}`, {
      retryable: true,
      cause,
    });
  }
}

export type LogFilter =
  | {
      readonly addresses: readonly Hex[];
      readonly fromBlock: number;
      readonly toBlock: number;
      readonly topic0?: Hex;
    }
  | { readonly addresses: readonly Hex[]; readonly block: { readonly number: number; readonly hash: Hex } };

/**
 * `eth_getLogs` for a range or one block (by hash), every log parsed and the answer checked as a whole.
 *
 * @example const logs = await getLogs(client, { addresses: [pool], fromBlock: 0, toBlock: 100 });
 */
export async function getLogs(client: PublicClient, filter: LogFilter): Promise<ChainLog[]> {
  if (filter.addresses.length === 0) return [];
  const isBlock = 'block' in filter;
  const what = isBlock
    ? `eth_getLogs block ${filter.block.number}`
    : `eth_getLogs ${filter.fromBlock}..${filter.toBlock}`;
  const params = isBlock
    ? { address: filter.addresses, blockHash: filter.block.hash }
    : {
        address: filter.addresses,
        fromBlock: toQty(filter.fromBlock),
        toBlock: toQty(filter.toBlock),
        ...(filter.topic0 === undefined ? {} : { topics: [filter.topic0] }),
      };
  const raw = await call(client, what, 'eth_getLogs', [params]);
  if (!Array.isArray(raw)) {
    throw new TickstreamError('RPC_MALFORMED', `${what}: answer is not an array`, { retryable: true });
  }
  const logs = raw.map(parseLog);
  const range = isBlock ? { fromBlock: filter.block.number, toBlock: filter.block.number } : filter;
  checkLogs(logs, range, new Set(filter.addresses), isBlock ? filter.block : undefined);
  return logs;
}

/** The header of block `n` (no transactions). Throws a retryable RPC_MALFORMED if the node lacks it. */
export async function getHeader(client: PublicClient, n: number): Promise<ChainHeader> {
  const raw = await call(client, `eth_getBlockByNumber ${n}`, 'eth_getBlockByNumber', [toQty(n), false]);
  const header = parseHeader(raw, String(n));
  if (header.number !== n) {
    throw new TickstreamError(
      'RPC_INCONSISTENT',
      `eth_getBlockByNumber ${n} answered block ${header.number}`,
      {
        retryable: true,
      },
    );
  }
  return header;
}

/** The current head block number, never cached. */
export async function getHeadNumber(client: PublicClient): Promise<number> {
  const raw = await call(client, 'eth_blockNumber', 'eth_blockNumber', []);
  if (typeof raw !== 'string' || !/^0x[0-9a-fA-F]{1,13}$/.test(raw)) {
    throw new TickstreamError('RPC_MALFORMED', `eth_blockNumber: not a hex quantity: ${String(raw)}`, {
      retryable: true,
    });
  }
  return Number.parseInt(raw.slice(2), 16);
}
