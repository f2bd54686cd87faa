/**
 * The benches' peer: the raw `eth_getLogs` rate of the devnet node, parsed and nothing else, over the
 * same addresses and blocks the pipeline reads (`bench:ingest`, `bench:sync`).
 */
import type { JsonRpc } from '@tickstream/deploy/devnet';
import { factoryEventsAbi } from '@tickstream/shared';
import { decodeEventLog, type Hex } from 'viem';

export const hex = (n: number): Hex => `0x${n.toString(16)}`;

/**
 * The addresses the pipeline follows on a devnet: the factory, the position manager and every pool
 * the factory created in [from, head] (one `PoolCreated` query).
 *
 * @example const addresses = await followedAddresses(rpc, devnet.addresses, from, head);
 */
export async function followedAddresses(
  rpc: JsonRpc,
  at: { readonly factory: Hex; readonly positionManager: Hex },
  from: number,
  head: number,
): Promise<Hex[]> {
  const created = await rpc.request<{ topics: Hex[]; data: Hex }[]>('eth_getLogs', [
    { address: at.factory, fromBlock: hex(from), toBlock: hex(head) },
  ]);
  const pools = created.flatMap((l) => {
    const e = decodeEventLog({ abi: factoryEventsAbi, topics: l.topics as [Hex], data: l.data });
    return e.eventName === 'PoolCreated' && e.args !== undefined ? [e.args.pool] : [];
  });
  return [at.factory, at.positionManager, ...pools];
}

/**
 * Raw `eth_getLogs` of `addresses` over [from, head] in ranges of `range` blocks, one after another;
 * `each` (timed too) sees every answer. Returns the logs and the seconds it took.
 *
 * @example const { logs, seconds } = await rawGetLogs(rpc, addresses, from, head, 25);
 */
export async function rawGetLogs<L = unknown>(
  rpc: JsonRpc,
  addresses: readonly Hex[],
  from: number,
  head: number,
  range: number,
  each?: (logs: L[]) => void,
): Promise<{ logs: number; seconds: number }> {
  let logs = 0;
  const start = performance.now();
  for (let a = from; a <= head; a += range) {
    const got = await rpc.request<L[]>('eth_getLogs', [
      { address: addresses, fromBlock: hex(a), toBlock: hex(Math.min(a + range - 1, head)) },
    ]);
    logs += got.length;
    each?.(got);
  }
  return { logs, seconds: (performance.now() - start) / 1000 };
}
