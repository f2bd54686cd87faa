import { type Hex, TOPIC } from '@tickstream/shared';
import { createdPool, isPoolCreated } from '../route';
import { type ChainLog, getLogs, isRangeTooLarge, isUnknownBlock, type LogFilter, withRetry } from '../rpc';
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

export interface FetchOptions {
  /** Told each time a question was split because a provider found it too large. */
  readonly onSplit?: (what: { readonly blocks: number; readonly addresses: number }) => void;
  /** Told of every range a provider answered (its width and log count). */
  readonly onAnswer?: (blocks: number, logs: number) => void;
  /** The width to split a refused range into (at most half of it); default: halves. */
  readonly rangeBlocks?: () => number;
  /** Only logs with this first topic (event signature); ranges only. */
  readonly topic0?: Hex;
}

function lastBlockOf(span: Span): number {
  return 'block' in span ? span.block.number : span.toBlock;
}

/** The pools of `pools` created by the span's last block that it has not asked for. */
function unasked(pools: ReadonlyMap<Hex, number>, fetched: Fetched): Hex[] {
  const last = lastBlockOf(fetched.span);
  const out: Hex[] = [];
  for (const [pool, created] of pools) if (created <= last && !fetched.asked.has(pool)) out.push(pool);
  return out;
}

function filterOf(span: Span, addresses: readonly Hex[], topic0: Hex | undefined): LogFilter {
  if ('block' in span) return { addresses, block: span.block };
  return topic0 === undefined ? { addresses, ...span } : { addresses, ...span, topic0 };
}

/**
 * eth_getLogs with the policy's retries. A provider's "range too large" is not retried as it is:
 * the range is fetched again in consecutive pieces of at most half its width (`rangeBlocks` when
 * smaller, so that what one refusal taught is used for the rest), each split again if refused; a
 * single block is split by address instead. One address over one block still too large is thrown
 * (retryable). The pieces' logs are joined in order.
 */
export async function fetchLogs(
  deps: IngestDeps,
  span: Span,
  addresses: readonly Hex[],
  opts: FetchOptions = {},
): Promise<ChainLog[]> {
  const what =
    'block' in span ? `logs of block ${span.block.number}` : `logs ${span.fromBlock}..${span.toBlock}`;
  const blocks = 'block' in span ? 1 : span.toBlock - span.fromBlock + 1;
  try {
    const logs = await withRetry(
      deps.log,
      what,
      {
        retries: deps.cfg.RPC_MAX_RETRIES,
        retryIf: (err) => !isRangeTooLarge(err) && !isUnknownBlock(err),
        signal: deps.signal,
      },
      () => getLogs(deps.client, filterOf(span, addresses, opts.topic0)),
    );
    opts.onAnswer?.(blocks, logs.length);
    return logs;
  } catch (err) {
    if (!isRangeTooLarge(err)) throw err;
    if (blocks === 1 && addresses.length < 2) throw err;
    opts.onSplit?.({ blocks, addresses: addresses.length });
    deps.log.debug(
      { what, blocks, addresses: addresses.length },
      'range too large for the provider; splitting',
    );
    if (blocks === 1) {
      const half = Math.ceil(addresses.length / 2);
      const a = await fetchLogs(deps, span, addresses.slice(0, half), opts);
      const b = await fetchLogs(deps, span, addresses.slice(half), opts);
      return mergeLogs(a, b);
    }
    const { fromBlock, toBlock } = span as { fromBlock: number; toBlock: number };
    const out: ChainLog[] = [];
    for (let from = fromBlock; from <= toBlock; ) {
      const width = Math.max(1, Math.min(Math.floor(blocks / 2), opts.rangeBlocks?.() ?? blocks));
      const to = Math.min(toBlock, from + width - 1);
      for (const l of await fetchLogs(deps, { fromBlock: from, toBlock: to }, addresses, opts)) out.push(l);
      from = to + 1;
    }
    return out;
  }
}

/** The factory's, the position manager's and every known pool's logs over a span. */
export async function fetchSpan(
  deps: IngestDeps,
  pools: ReadonlyMap<Hex, number>,
  span: Span,
  opts: FetchOptions = {},
): Promise<Fetched> {
  const last = lastBlockOf(span);
  const asked = new Set<Hex>();
  for (const [pool, created] of pools) if (created <= last) asked.add(pool);
  const logs = await fetchLogs(
    deps,
    span,
    [deps.route.factory, deps.route.positionManager, ...(deps.route.factories ?? []), ...asked],
    opts,
  );
  return { span, asked, logs };
}

/**
 * Completes a fetched span in ledger order: adds the logs of known pools it did not ask for (learned
 * after it was fetched), then discovers pools created inside it that `pools` does not have, adds the
 * logs of those it did not ask for, and adds them to `pools`. Returns the pools it discovered (to be
 * saved before anything is appended). A backfill asks for every pool of its range from the start
 * (`discoverPools`), so that nothing is left to add but the discovered pools to record.
 */
export async function completeSpan(
  deps: IngestDeps,
  pools: Map<Hex, number>,
  fetched: Fetched,
  opts: FetchOptions = {},
): Promise<Map<Hex, number>> {
  const missing = unasked(pools, fetched);
  const discovered = new Map<Hex, number>();
  for (const l of fetched.logs) {
    if (isPoolCreated(l, deps.route.factory, deps.route.factories)) {
      const pool = createdPool(l);
      if (!pools.has(pool)) discovered.set(pool, l.blockNumber);
    }
  }
  const extra = [...missing];
  for (const pool of discovered.keys()) if (!fetched.asked.has(pool)) extra.push(pool);
  if (extra.length > 0) {
    const more = await fetchLogs(deps, fetched.span, extra, opts);
    fetched.logs = mergeLogs(fetched.logs, more);
  }
  for (const [pool, created] of discovered) pools.set(pool, created);
  return discovered;
}

/**
 * Every pool the followed factories (the configured one and those watched) created in
 * `[fromBlock, toBlock]`, with its creation block: one eth_getLogs of the factories' `PoolCreated`
 * (split like any range a provider refuses; `onSplit` is told of each refusal), so that a backfill asks each range for the right pools
 * from the start instead of fetching a range again for the pools it creates.
 */
export async function discoverPools(
  deps: IngestDeps,
  fromBlock: number,
  toBlock: number,
  opts: Pick<FetchOptions, 'onSplit'> = {},
): Promise<Map<Hex, number>> {
  const factories = [deps.route.factory, ...(deps.route.factories ?? [])];
  // Answers are small (one log per pool): pieces as wide as the provider takes, learned from its
  // refusals (a block-range limit), not sized by the backfill's log budget.
  let widest = Number.POSITIVE_INFINITY;
  const logs = await fetchLogs(deps, { fromBlock, toBlock }, factories, {
    topic0: TOPIC.PoolCreated,
    onSplit: (what) => {
      widest = Math.min(widest, Math.max(1, Math.floor(what.blocks / 2)));
      opts.onSplit?.(what);
    },
    rangeBlocks: () => widest,
  });
  const pools = new Map<Hex, number>();
  for (const l of logs) {
    if (isPoolCreated(l, deps.route.factory, deps.route.factories)) {
      const pool = createdPool(l);
      if (!pools.has(pool)) pools.set(pool, l.blockNumber);
    }
  }
  return pools;
}

/** Two sorted log lists as one, sorted by (block, logIndex). */
export function mergeLogs(a: readonly ChainLog[], b: readonly ChainLog[]): ChainLog[] {
  if (b.length === 0) return [...a];
  return [...a, ...b].sort((x, y) => x.blockNumber - y.blockNumber || x.logIndex - y.logIndex);
}
