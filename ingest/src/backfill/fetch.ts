import type { Hex } from '@tickstream/shared';
import { createdPool, isPoolCreated } from '../route';
import { type ChainLog, getLogs, type LogFilter, withRetry } from '../rpc';
import type { IngestDeps } from '../service/deps';

/** A block range or one block by hash. */
export type Span =
  | { readonly fromBlock: number; readonly toBlock: number }
  | { readonly block: { readonly number: number; readonly hash: Hex } };

export interface Fetched {
  readonly span: Span;
  /** The pool addresses the first fetch asked for. */
  readonly asked: ReadonlySet<Hex>;
  logs: ChainLog[];
}

function lastBlockOf(span: Span): number {
  return 'block' in span ? span.block.number : span.toBlock;
}

function filterOf(span: Span, addresses: readonly Hex[]): LogFilter {
  return 'block' in span ? { addresses, block: span.block } : { addresses, ...span };
}

/** eth_getLogs with the policy's retries. */
export function fetchLogs(deps: IngestDeps, span: Span, addresses: readonly Hex[]): Promise<ChainLog[]> {
  const what =
    'block' in span ? `logs of block ${span.block.number}` : `logs ${span.fromBlock}..${span.toBlock}`;
  return withRetry(deps.log, what, { retries: deps.cfg.RPC_MAX_RETRIES }, () =>
    getLogs(deps.client, filterOf(span, addresses)),
  );
}

/** The factory's, the position manager's and every known pool's logs over a span. */
export async function fetchSpan(
  deps: IngestDeps,
  pools: ReadonlyMap<Hex, number>,
  span: Span,
): Promise<Fetched> {
  const last = lastBlockOf(span);
  const asked = new Set<Hex>();
  for (const [pool, created] of pools) if (created <= last) asked.add(pool);
  const logs = await fetchLogs(deps, span, [deps.route.factory, deps.route.positionManager, ...asked]);
  return { span, asked, logs };
}

/**
 * Completes a fetched span in ledger order: adds logs of pools learned after it was fetched (by an
 * earlier span), then discovers pools created inside it and adds their logs too. Returns the pools it
 * discovered (to be saved before anything is appended).
 */
export async function completeSpan(
  deps: IngestDeps,
  pools: Map<Hex, number>,
  fetched: Fetched,
): Promise<Map<Hex, number>> {
  const last = lastBlockOf(fetched.span);
  const missing: Hex[] = [];
  for (const [pool, created] of pools) if (created <= last && !fetched.asked.has(pool)) missing.push(pool);
  const discovered = new Map<Hex, number>();
  for (const l of fetched.logs) {
    if (isPoolCreated(l, deps.route.factory)) {
      const pool = createdPool(l);
      if (!pools.has(pool) && !fetched.asked.has(pool)) discovered.set(pool, l.blockNumber);
    }
  }
  const extra = [...missing, ...discovered.keys()];
  if (extra.length > 0) {
    const more = await fetchLogs(deps, fetched.span, extra);
    fetched.logs = mergeLogs(fetched.logs, more);
  }
  for (const [pool, created] of discovered) pools.set(pool, created);
  return discovered;
}

/** Two sorted log lists as one, sorted by (block, logIndex). */
export function mergeLogs(a: readonly ChainLog[], b: readonly ChainLog[]): ChainLog[] {
  if (b.length === 0) return [...a];
  return [...a, ...b].sort((x, y) => x.blockNumber - y.blockNumber || x.logIndex - y.logIndex);
}
