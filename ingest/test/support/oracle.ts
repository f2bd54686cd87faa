import type { NatsConnection } from '@nats-io/transport-node';
import type { Hex, LogEntry } from '@tickstream/shared';
import { factoryEventsAbi, streamName } from '@tickstream/shared';
import { createPublicClient, http, parseEventLogs } from 'viem';
import { expect } from 'vitest';
import { readStream, type StoredEntry } from './ledger';

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

/**
 * The ledger equals the chain, one to one, up to `toBlock`: same logs (identity and content) as
 * `eth_getLogs` of the factory, the position manager and every pool, no duplicate message id.
 * Returns the number of logs compared.
 */
export async function expectLedgerEqualsChain(
  nc: NatsConnection,
  devnet: { rpcUrl: string; chainId: number; addresses: { factory: Hex; positionManager: Hex } },
  prefix: string,
  toBlock: number,
): Promise<number> {
  const stored = await readStream(nc, streamName(prefix, devnet.chainId));
  const ledger = ledgerLogKeys(stored, toBlock);
  const chain = await chainLogKeys(
    devnet.rpcUrl,
    devnet.addresses.factory,
    devnet.addresses.positionManager,
    toBlock,
  );
  expect(duplicates(ledger)).toEqual([]);
  expect(new Set(stored.map((s) => s.msgId)).size).toBe(stored.length);
  expect(ledger.length).toBe(chain.length);
  expect(ledger).toEqual(chain);
  return chain.length;
}
