import { type Hex, TickstreamError } from '@tickstream/shared';
import type { PublicClient } from 'viem';
import { poolOf, type RpcClient } from './client';
import type { RpcPool } from './pool';
import { type ChainHeader, type ChainLog, checkLogs, parseHeader, parseLogs } from './validate';

/** What the request functions accept: ingest's pooled client, a bare pool, or any viem client. */
export type RpcSource = RpcClient | RpcPool | PublicClient;

const toQty = (n: number): Hex => `0x${n.toString(16)}`;

export type LogFilter =
  | {
      readonly addresses: readonly Hex[];
      readonly fromBlock: number;
      readonly toBlock: number;
      readonly topic0?: Hex;
    }
  | { readonly addresses: readonly Hex[]; readonly block: { readonly number: number; readonly hash: Hex } };

/**
 * `eth_getLogs` for a range or one block (by hash), every log parsed and the answer checked as a
 * whole, inside the pool: a provider whose answer fails the checks is demoted and the logs are
 * fetched from another. A provider's "range too large" is thrown as a retryable RPC_ERROR with
 * `details.rangeTooLarge` (see `isRangeTooLarge`), for the caller to split.
 *
 * @example const logs = await getLogs(client, { addresses: [pool], fromBlock: 0, toBlock: 100 });
 */
export async function getLogs(client: RpcSource, filter: LogFilter): Promise<ChainLog[]> {
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
  const range = isBlock ? { fromBlock: filter.block.number, toBlock: filter.block.number } : filter;
  const addresses = new Set<string>(filter.addresses);
  return poolOf(client).request('eth_getLogs', [params], {
    what,
    minBlock: range.toBlock,
    check: (raw) => {
      if (!Array.isArray(raw)) {
        throw new TickstreamError('RPC_MALFORMED', `${what}: answer is not an array`, { retryable: true });
      }
      const logs = parseLogs(raw);
      checkLogs(logs, range, addresses, isBlock ? filter.block : undefined);
      return logs;
    },
  });
}

/**
 * The header of block `n` (no transactions). A node without the block (one that is behind) is a
 * retryable RPC_ERROR and the pool asks another; a malformed header or another block's is blamed on
 * the provider (RPC_MALFORMED / RPC_INCONSISTENT).
 */
export async function getHeader(client: RpcSource, n: number): Promise<ChainHeader> {
  const what = `eth_getBlockByNumber ${n}`;
  return poolOf(client).request('eth_getBlockByNumber', [toQty(n), false], {
    what,
    minBlock: n,
    check: (raw) => {
      if (raw === null) {
        throw new TickstreamError('RPC_ERROR', `${what}: the node does not have block ${n}`, {
          retryable: true,
          details: { notFound: n },
        });
      }
      const header = parseHeader(raw, String(n));
      if (header.number !== n) {
        throw new TickstreamError('RPC_INCONSISTENT', `${what} answered block ${header.number}`, {
          retryable: true,
        });
      }
      return header;
    },
  });
}

/** A hex quantity as a number, or RPC_MALFORMED naming `what`. */
export function parseQuantity(raw: unknown, what: string): number {
  if (typeof raw !== 'string' || !/^0x[0-9a-fA-F]{1,13}$/.test(raw)) {
    throw new TickstreamError('RPC_MALFORMED', `${what}: not a hex quantity: ${String(raw)}`, {
      retryable: true,
    });
  }
  return Number.parseInt(raw.slice(2), 16);
}

/**
 * The current head block number, never cached, as a hedged read: the best provider is asked, and a
 * second one too if the first has not answered within the pool's hedge delay; the first good answer
 * wins. A provider whose head goes backwards from what it said before is demoted (RPC_INCONSISTENT).
 */
export async function getHeadNumber(client: RpcSource): Promise<number> {
  return poolOf(client).request('eth_blockNumber', [], {
    what: 'eth_blockNumber',
    hedge: true,
    check: (raw) => parseQuantity(raw, 'eth_blockNumber'),
    headOf: (n) => n,
  });
}
