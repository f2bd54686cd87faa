import { TickstreamError } from '@tickstream/shared';
import { type ChainHeader, parseHeader, withRetry } from '../rpc';
import type { IngestDeps } from '../service/deps';

/** The header of the block with `hash` (no transactions), with retries. */
export function fetchHeaderByHash(deps: IngestDeps, hash: string): Promise<ChainHeader> {
  return withRetry(
    deps.log,
    `header ${hash}`,
    { retries: deps.cfg.RPC_MAX_RETRIES, signal: deps.signal },
    async () =>
      parseHeader(
        // biome-ignore lint/suspicious/noExplicitAny: raw JSON-RPC, checked by parseHeader
        await deps.client.request({ method: 'eth_getBlockByHash', params: [hash, false] } as any),
        hash,
      ),
  );
}

export interface Ancestor {
  /** The last block both forks share. */
  readonly ancestor: ChainHeader;
  /** How many of our blocks the new fork replaces. */
  readonly depth: number;
}

/**
 * Walks the new fork back, parent by parent (by hash), until it meets a block of the local header
 * chain: the common ancestor. Throws REORG_TOO_DEEP when that is more than `maxDepth` blocks below
 * the first block that did not link, or below the oldest header held — never guesses.
 *
 * @example const { ancestor, depth } = await findCommonAncestor(deps, headers, newHeader, 64);
 */
export async function findCommonAncestor(
  deps: IngestDeps,
  local: ReadonlyMap<number, ChainHeader>,
  from: ChainHeader,
  maxDepth: number,
): Promise<Ancestor> {
  let cur = from;
  for (;;) {
    const stored = local.get(cur.number - 1);
    const depth = from.number - (cur.number - 1);
    if (stored !== undefined && stored.hash === cur.parentHash) return { ancestor: stored, depth: depth - 1 };
    if (stored === undefined || depth > maxDepth) {
      throw new TickstreamError(
        'REORG_TOO_DEEP',
        `reorg at block ${from.number} goes deeper than ${maxDepth} blocks (no common ancestor down to block ${cur.number - 1})`,
        { details: { block: from.number, maxDepth, searchedTo: cur.number - 1 } },
      );
    }
    cur = await fetchHeaderByHash(deps, cur.parentHash);
  }
}
