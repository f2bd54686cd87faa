import type { Hex, LogEntry } from '@tickstream/shared';
import { factoryEventsAbi } from '@tickstream/shared';
import { createPublicClient, http, parseEventLogs } from 'viem';
import type { StoredEntry } from './ledger';

/** A log's identity and content, as compared between the ledger and the chain. */
export interface LogKey {
  readonly id: string;
  readonly content: string;
}

function keyOf(l: {
  blockNumber: number;
  logIndex: number;
  blockHash: string;
  txHash: string;
  txIndex: number;
  address: string;
  topics: readonly string[];
  data: string;
}): LogKey {
  return {
    id: `${l.blockNumber}:${l.logIndex}:${l.blockHash}`,
    content: [l.txHash, l.txIndex, l.address, ...l.topics, l.data].join('|').toLowerCase(),
  };
}

/**
 * The chain's own answer, through viem's getLogs (a code path independent of ingest's): every log
 * of the factory, the position manager and every pool the factory created, over `[0, toBlock]`.
 */
export async function chainLogKeys(
  rpcUrl: string,
  factory: Hex,
  npm: Hex,
  toBlock: number,
): Promise<LogKey[]> {
  const client = createPublicClient({ transport: http(rpcUrl, { timeout: 60_000 }) });
  const created = parseEventLogs({
    abi: factoryEventsAbi,
    eventName: 'PoolCreated',
    logs: await client.getLogs({ address: factory, fromBlock: 0n, toBlock: BigInt(toBlock) }),
  });
  const addresses = [factory, npm, ...created.map((c) => c.args.pool)];
  const logs = await client.getLogs({ address: addresses, fromBlock: 0n, toBlock: BigInt(toBlock) });
  return logs.map((l) =>
    keyOf({
      blockNumber: Number(l.blockNumber),
      logIndex: l.logIndex,
      blockHash: l.blockHash,
      txHash: l.transactionHash,
      txIndex: l.transactionIndex,
      address: l.address,
      topics: l.topics,
      data: l.data,
    }),
  );
}

/** The ledger's log entries up to `toBlock`, as keys, in stream order. */
export function ledgerLogKeys(entries: readonly StoredEntry[], toBlock: number): LogKey[] {
  return entries
    .filter(
      (s): s is StoredEntry & { entry: LogEntry } => s.entry.kind === 'log' && s.entry.blockNumber <= toBlock,
    )
    .map(({ entry: e }) => keyOf(e));
}

/** Ids that appear more than once. */
export function duplicates(keys: readonly LogKey[]): string[] {
  const seen = new Set<string>();
  const dup: string[] = [];
  for (const k of keys) {
    if (seen.has(k.id)) dup.push(k.id);
    seen.add(k.id);
  }
  return dup;
}
