/**
 * The three checks every chaos test ends with, each against the chain as the oracle:
 *
 * 1. `compareStateWithChain`: every pool the REST api serves equals `eth_call` on the contracts at the
 *    head (slot0, liquidity, fee growth, protocol fees, every initialized tick from the on-chain bitmap,
 *    every position), and each answer is stamped with the head's number and hash.
 * 2. `compareLedgerWithChain`: the ledger's canonical entries (the stream replayed in order, a rollback
 *    entry dropping its partition's entries above its `toBlock`) equal `eth_getLogs` of the chain now,
 *    and every canonical seal names the chain's hash of its block.
 * 3. `orphanedRows`: rows written for blocks a reorg orphaned are still there, marked `orphaned`.
 *
 * Each returns a list of differences (empty when all is well) and what it compared, so that a test
 * prints what it measured and fails with readable differences.
 */
import { connect } from '@nats-io/transport-node';
import type { LedgerEntry, LogEntry, Partition } from '@tickstream/shared';
import type { Address, PublicClient } from 'viem';
import {
  chainPool,
  chainPositionKeys,
  chainPositions,
  chainTicks,
  oracleClient,
} from '../../api/test/support/chain-oracle';
import { readStream, type StoredEntry } from '../../ingest/test/support/ledger';
import { chainLogKeys, duplicates, type LogKey } from '../../ingest/test/support/oracle';
import { devnetPools } from './chain/reorg';
import type { Cluster, Head } from './harness/cluster';

export { readStream, type StoredEntry };

// ---- 1. REST state equals eth_call at the head ----------------------------------------------------

interface PoolSummary {
  readonly address: Address;
  readonly tickSpacing: number;
}

interface Stamp {
  readonly number: number;
  readonly hash: string;
}

export interface StateComparison {
  readonly head: Head;
  readonly pools: number;
  readonly ticks: number;
  readonly positions: number;
  readonly diffs: string[];
}

async function getJson<T>(url: string): Promise<T> {
  const r = await fetch(url);
  const text = await r.text();
  if (r.status !== 200) throw new Error(`GET ${url}: ${r.status} ${text.slice(0, 300)}`);
  return JSON.parse(text) as T;
}

async function allPools(api: string): Promise<PoolSummary[]> {
  const out: PoolSummary[] = [];
  let cursor: string | null = null;
  do {
    const page: { pools: PoolSummary[]; nextCursor: string | null } = await getJson(
      `${api}/v1/pools?limit=50${cursor === null ? '' : `&cursor=${cursor}`}`,
    );
    out.push(...page.pools);
    cursor = page.nextCursor;
  } while (cursor !== null);
  return out;
}

function pickPool(p: Record<string, unknown>) {
  return {
    sqrtPriceX96: p.sqrtPriceX96,
    tick: p.tick,
    feeProtocol: p.feeProtocol,
    liquidity: p.liquidity,
    feeGrowthGlobal0X128: p.feeGrowthGlobal0X128,
    feeGrowthGlobal1X128: p.feeGrowthGlobal1X128,
    protocolFees: p.protocolFees,
  };
}

/** Field-by-field differences between two JSON-like values, as `path: got != want` lines. */
export function jsonDiff(path: string, got: unknown, want: unknown, out: string[], max = 20): void {
  if (out.length >= max) return;
  if (typeof got === 'object' && got !== null && typeof want === 'object' && want !== null) {
    const keys = new Set([...Object.keys(got), ...Object.keys(want)]);
    for (const k of keys)
      jsonDiff(
        `${path}.${k}`,
        (got as Record<string, unknown>)[k],
        (want as Record<string, unknown>)[k],
        out,
        max,
      );
    return;
  }
  if (JSON.stringify(got) !== JSON.stringify(want))
    out.push(`${path}: ${JSON.stringify(got)} != chain ${JSON.stringify(want)}`);
}

type PositionLike = { owner: string; tickLower: number; tickUpper: number };
const positionKey = (x: PositionLike) => `${x.owner.toLowerCase()}:${x.tickLower}:${x.tickUpper}`;

/**
 * Every pool of the REST api (pool fields, every initialized tick from the pool's own bitmap, every
 * position that ever minted) against `eth_call` at `head` (default: the chain's head now); each REST
 * answer must be stamped with that block's number and hash.
 *
 * @example
 * const r = await compareStateWithChain(cluster);
 * expect(r.diffs).toEqual([]);
 */
export async function compareStateWithChain(cluster: Cluster, at?: Head): Promise<StateComparison> {
  const head = at ?? (await cluster.head());
  const chain: PublicClient = oracleClient(cluster.devnet.rpcUrl);
  const api = cluster.apiUrl;
  const n = BigInt(head.number);
  const diffs: string[] = [];
  const stamp = (what: string, b: Stamp) => {
    if (b.number !== head.number || b.hash !== head.hash)
      diffs.push(`${what}: stamped ${b.number} ${b.hash}, the chain's head is ${head.number} ${head.hash}`);
  };
  const pools = await allPools(api);
  let ticks = 0;
  let positions = 0;
  for (const pool of pools) {
    const { pool: p, block } = await getJson<{ pool: Record<string, unknown>; block: Stamp }>(
      `${api}/v1/pools/${pool.address}`,
    );
    stamp(`pool ${pool.address}`, block);
    jsonDiff(`pool ${pool.address}`, pickPool(p), await chainPool(chain, pool.address, n), diffs);

    const t = await getJson<{ ticks: unknown[]; block: Stamp }>(`${api}/v1/pools/${pool.address}/ticks`);
    stamp(`ticks of ${pool.address}`, t.block);
    const wantTicks = await chainTicks(chain, pool.address, pool.tickSpacing, n);
    jsonDiff(`ticks of ${pool.address}`, t.ticks, wantTicks, diffs);
    ticks += wantTicks.length;

    const ps = await getJson<{ positions: PositionLike[]; block: Stamp }>(
      `${api}/v1/pools/${pool.address}/positions`,
    );
    stamp(`positions of ${pool.address}`, ps.block);
    const keys = await chainPositionKeys(chain, pool.address, n);
    const want = await chainPositions(chain, pool.address, keys, n);
    const sorted = <T extends PositionLike>(xs: readonly T[]) =>
      [...xs].sort((a, b) => (positionKey(a) < positionKey(b) ? -1 : 1));
    jsonDiff(`positions of ${pool.address}`, sorted(ps.positions), sorted(want), diffs);
    positions += want.length;
  }
  // Pools the chain has and the api does not serve.
  const served = new Set(pools.map((p) => p.address.toLowerCase()));
  for (const p of await chainPoolAddresses(cluster))
    if (!served.has(p)) diffs.push(`pool ${p} exists on the chain but the api does not serve it`);
  return { head, pools: pools.length, ticks, positions, diffs };
}

async function chainPoolAddresses(cluster: Cluster): Promise<string[]> {
  return (await devnetPools(cluster.devnet)).map((p) => p.address.toLowerCase());
}

// ---- 2. the ledger's canonical entries equal eth_getLogs --------------------------------------------

/**
 * The canonical entries of a ledger: replayed in stream order, each rollback entry drops the entries of
 * its partition above its `toBlock` that came before it. Rollback entries themselves are not returned.
 *
 * @example
 * const canonical = canonicalEntries(await readStream(nc, cluster.stream));
 */
export function canonicalEntries(entries: readonly StoredEntry[]): StoredEntry[] {
  const byPartition = new Map<Partition, StoredEntry[]>();
  for (const s of entries) {
    const p = s.entry.partition;
    let list = byPartition.get(p);
    if (list === undefined) {
      list = [];
      byPartition.set(p, list);
    }
    if (s.entry.kind === 'rollback') {
      const to = s.entry.toBlock;
      byPartition.set(
        p,
        list.filter((x) => x.entry.kind !== 'rollback' && x.entry.blockNumber <= to),
      );
      continue;
    }
    list.push(s);
  }
  return [...byPartition.values()].flat().sort((a, b) => a.seq - b.seq);
}

function keyOfEntry(e: LogEntry): LogKey {
  return {
    id: `${e.blockNumber}:${e.logIndex}:${e.blockHash}`,
    content: [e.txHash, e.txIndex, e.address, ...e.topics, e.data].join('|').toLowerCase(),
  };
}

export interface LedgerComparison {
  readonly head: Head;
  readonly entries: number;
  readonly canonicalLogs: number;
  readonly rollbacks: number;
  /** Log entries dropped by rollbacks (they belonged to orphaned blocks). */
  readonly dropped: number;
  readonly diffs: string[];
}

/**
 * Reads the whole ledger stream and compares its canonical logs, up to `head`, with `eth_getLogs` of the
 * factory, the position manager and every pool over `[0, head]` (as the chain has it now), and each
 * canonical seal's hash with the chain's hash of its block.
 */
export async function compareLedgerWithChain(cluster: Cluster, at?: Head): Promise<LedgerComparison> {
  const head = at ?? (await cluster.head());
  const nc = await connect({ servers: process.env.NATS_URL ?? 'nats://127.0.0.1:4222' });
  let entries: StoredEntry[];
  try {
    entries = await readStream(nc, cluster.stream);
  } finally {
    await nc.close();
  }
  const canonical = canonicalEntries(entries);
  const diffs: string[] = [];
  const logs = canonical
    .map((s) => s.entry)
    .filter((e): e is LogEntry => e.kind === 'log' && e.blockNumber <= head.number);
  const ours = logs.map(keyOfEntry);
  const dup = duplicates(ours);
  if (dup.length > 0)
    diffs.push(`${dup.length} canonical log ids appear twice: ${dup.slice(0, 5).join(', ')}`);
  const chain = await chainLogKeys(
    cluster.devnet.rpcUrl,
    cluster.devnet.addresses.factory,
    cluster.devnet.addresses.positionManager,
    head.number,
  );
  const want = new Map(chain.map((k) => [k.id, k.content]));
  const got = new Map(ours.map((k) => [k.id, k.content]));
  const missing = [...want.keys()].filter((id) => !got.has(id));
  const extra = [...got.keys()].filter((id) => !want.has(id));
  const changed = [...got.entries()]
    .filter(([id, c]) => want.has(id) && want.get(id) !== c)
    .map(([id]) => id);
  if (missing.length > 0)
    diffs.push(
      `${missing.length} chain logs missing from the canonical ledger: ${missing.slice(0, 5).join(', ')}`,
    );
  if (extra.length > 0)
    diffs.push(
      `${extra.length} canonical ledger logs not on the chain (orphaned?): ${extra.slice(0, 5).join(', ')}`,
    );
  if (changed.length > 0)
    diffs.push(`${changed.length} logs differ in content: ${changed.slice(0, 5).join(', ')}`);

  // Every canonical seal names the chain's block hash.
  const seals = canonical
    .map((s) => s.entry)
    .filter(
      (e): e is Extract<LedgerEntry, { kind: 'seal' }> => e.kind === 'seal' && e.blockNumber <= head.number,
    );
  const numbers = [...new Set(seals.map((s) => s.blockNumber))];
  const hashes = new Map<number, string>();
  for (let i = 0; i < numbers.length; i += 500) {
    const part = numbers.slice(i, i + 500);
    const blocks = await cluster.rpc.batch<{ hash: string } | null>(
      part.map((n) => ({ method: 'eth_getBlockByNumber', params: [`0x${n.toString(16)}`, false] })),
    );
    for (const [j, n] of part.entries()) hashes.set(n, blocks[j]?.hash ?? 'missing');
  }
  const badSeals = seals.filter((s) => hashes.get(s.blockNumber) !== s.blockHash);
  if (badSeals.length > 0) {
    diffs.push(
      `${badSeals.length} canonical seals name a block hash the chain does not have: ${badSeals
        .slice(0, 5)
        .map((s) => `${String(s.partition)}@${s.blockNumber}`)
        .join(', ')}`,
    );
  }
  // The head block is sealed in every partition.
  const sealedAtHead = new Set(
    seals.filter((s) => s.blockNumber === head.number).map((s) => String(s.partition)),
  );
  if (sealedAtHead.size !== cluster.partitions + 1)
    diffs.push(
      `the head ${head.number} is sealed in ${sealedAtHead.size} partitions, not ${cluster.partitions + 1}`,
    );
  const allLogs = entries.filter((s) => s.entry.kind === 'log').length;
  return {
    head,
    entries: entries.length,
    canonicalLogs: logs.length,
    rollbacks: entries.filter((s) => s.entry.kind === 'rollback').length,
    dropped: allLogs - canonical.filter((s) => s.entry.kind === 'log').length,
    diffs,
  };
}

// ---- 3. orphaned rows are marked, not deleted --------------------------------------------------------

/** Projection tables whose rows carry `block_hash` and `status`. */
export const HISTORY_TABLES = ['pool_history', 'tick_history', 'position_history', 'events'] as const;
export type HistoryTable = (typeof HISTORY_TABLES)[number];

/** Rows of the history tables above a block, by table: `block_hash` → count, and statuses seen. */
export type RowSnapshot = Record<HistoryTable, Map<string, number>>;

/**
 * Counts the history rows above `block`, by table and block hash: take it before a reorg, when those
 * rows are still canonical, and give it to `orphanedRows` after.
 */
export async function snapshotRowsAbove(cluster: Cluster, block: number): Promise<RowSnapshot> {
  const out = {} as RowSnapshot;
  for (const t of HISTORY_TABLES) {
    const r = await cluster.pg.query<{ block_hash: string; n: string }>(
      `SELECT block_hash, count(*) AS n FROM ${t} WHERE chain_id = $1 AND block_number > $2 GROUP BY block_hash`,
      [cluster.chainId, block],
    );
    out[t] = new Map(r.rows.map((row) => [row.block_hash, Number(row.n)]));
  }
  return out;
}

export interface OrphanedRows {
  /** Rows written for the orphaned blocks before the reorg, by table. */
  readonly before: Record<HistoryTable, number>;
  /** The same rows now, by table and status. */
  readonly after: Record<HistoryTable, Record<string, number>>;
  readonly diffs: string[];
}

/**
 * For the blocks a reorg orphaned (`orphanedHashes`): every history row the projection had written for
 * them before the reorg (`before`) is still there and marked `orphaned`, and so is every row of those
 * blocks written since. At least one row must have been written for them before the reorg, or the check
 * proves nothing (unless `requireRows: false`: blocks orphaned before the projector reached them).
 */
export async function orphanedRows(
  cluster: Cluster,
  before: RowSnapshot,
  orphanedHashes: readonly string[],
  opts: { requireRows?: boolean } = {},
): Promise<OrphanedRows> {
  const diffs: string[] = [];
  const hashes = [...new Set(orphanedHashes)];
  const beforeCounts = {} as Record<HistoryTable, number>;
  const afterCounts = {} as Record<HistoryTable, Record<string, number>>;
  let total = 0;
  for (const t of HISTORY_TABLES) {
    const had = hashes.reduce((sum, h) => sum + (before[t].get(h) ?? 0), 0);
    beforeCounts[t] = had;
    total += had;
    const r = await cluster.pg.query<{ status: string; n: string }>(
      `SELECT status, count(*) AS n FROM ${t} WHERE chain_id = $1 AND block_hash = ANY($2::text[]) GROUP BY status`,
      [cluster.chainId, hashes],
    );
    const byStatus: Record<string, number> = {};
    for (const row of r.rows) byStatus[row.status] = Number(row.n);
    afterCounts[t] = byStatus;
    const now = Object.values(byStatus).reduce((a, b) => a + b, 0);
    if (now < had) diffs.push(`${t}: ${had - now} of ${had} rows of orphaned blocks were deleted`);
    const notMarked = now - (byStatus.orphaned ?? 0);
    if (notMarked > 0)
      diffs.push(
        `${t}: ${notMarked} rows of orphaned blocks are not marked orphaned (${JSON.stringify(byStatus)})`,
      );
  }
  if (total === 0 && opts.requireRows !== false)
    diffs.push('no rows had been written for the orphaned blocks: nothing to check');
  return { before: beforeCounts, after: afterCounts, diffs };
}

/**
 * No row of a block the chain has now is marked `orphaned` (a rewind that re-applies the same blocks,
 * e.g. `tickstream rollback --to N` without a chain change, must leave them canonical).
 */
export async function canonicalRowsMarkedOrphaned(cluster: Cluster): Promise<string[]> {
  const diffs: string[] = [];
  for (const t of HISTORY_TABLES) {
    const r = await cluster.pg.query<{ block_number: string; block_hash: string }>(
      `SELECT DISTINCT block_number, block_hash FROM ${t} WHERE chain_id = $1 AND status = 'orphaned'`,
      [cluster.chainId],
    );
    if (r.rows.length === 0) continue;
    const chainHashes = await cluster.rpc.batch<{ hash: string } | null>(
      r.rows.map((row) => ({
        method: 'eth_getBlockByNumber',
        params: [`0x${Number(row.block_number).toString(16)}`, false],
      })),
    );
    const wrong = r.rows.filter((row, i) => chainHashes[i]?.hash === row.block_hash);
    if (wrong.length > 0)
      diffs.push(
        `${t}: rows of canonical blocks marked orphaned: ${wrong
          .slice(0, 5)
          .map((w) => `${w.block_number}/${w.block_hash.slice(0, 10)}`)
          .join(', ')}`,
      );
  }
  return diffs;
}
