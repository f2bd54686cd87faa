/** Test support: a devnet's head, ingest and projector environments, waiting for checkpoints. */
import type { NatsConnection } from '@nats-io/transport-node';
import type { RunningDevnet } from '@tickstream/deploy/devnet';
import { testPrefix, waitFor } from '@tickstream/deploy/local';
import { allPartitions, type LedgerEntry, streamName } from '@tickstream/shared';
import type { Redis } from 'ioredis';
import type pg from 'pg';

export const PARTITIONS = 4;

/**
 * Redis for projector tests: a logical database of its own, because the keys (`ts:<chainId>:…`) are not
 * namespaced by ledger and other tests (api, chaos) read `ts:31337:head` from database 0.
 */
export const TEST_REDIS_URL = process.env.PROJECTOR_TEST_REDIS_URL ?? 'redis://127.0.0.1:6379/11';

/** Deletes the `ts:<chainId>:*` keys a test wrote in its Redis database. */
export async function dropRedisKeys(redis: Redis, chainId: number): Promise<void> {
  const keys = await redis.keys(`ts:${chainId}:*`);
  if (keys.length > 0) await redis.del(...keys);
}

/** The chain's head block number. */
export async function headNumber(rpcUrl: string): Promise<number> {
  const r = await fetch(rpcUrl, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'eth_blockNumber', params: [] }),
  });
  return Number.parseInt(((await r.json()) as { result: string }).result, 16);
}

/** Environment of an ingest child writing `prefix` (its own database `dbUrl`). */
export function ingestEnv(devnet: RunningDevnet, prefix: string, dbUrl: string): Record<string, string> {
  return {
    RPC_URL: devnet.rpcUrl,
    CHAIN_ID: String(devnet.chainId),
    FACTORY_ADDRESS: devnet.addresses.factory,
    POSITION_MANAGER_ADDRESS: devnet.addresses.positionManager,
    START_BLOCK: String(devnet.addresses.deployBlock),
    DATABASE_URL: dbUrl,
    LEDGER_STREAM_PREFIX: prefix,
    FINALITY_DEPTH: '12',
    BACKFILL_RANGE: '50',
    POLL_INTERVAL_MS: '50',
    PARTITIONS: String(PARTITIONS),
    // No coordinator in these tests: ingest runs on its own.
    CONTROL_PLANE: 'none',
  };
}

/** Environment of a projector child reading `prefix` into `dbUrl`. */
export function projectorEnv(
  chainId: number,
  prefix: string,
  dbUrl: string,
  extra: Record<string, string> = {},
): Record<string, string> {
  return {
    CHAIN_ID: String(chainId),
    DATABASE_URL: dbUrl,
    LEDGER_STREAM_PREFIX: prefix,
    PARTITIONS: String(PARTITIONS),
    REDIS_URL: TEST_REDIS_URL,
    PROJECTOR_BATCH_ENTRIES: '400',
    PROJECTOR_PROGRESS_INTERVAL_MS: '1000',
    // No coordinator in these tests (a projector registered in a running demo's etcd would take part in its reorgs).
    CONTROL_PLANE: 'none',
    ...extra,
  };
}

/** Waits until the ledger holds the tokens seal of block `block` (ingest appended it whole). */
export async function waitForLedger(
  nc: NatsConnection,
  prefix: string,
  chainId: number,
  block: number,
): Promise<void> {
  const { jetstreamManager } = await import('@nats-io/jetstream');
  const jsm = await jetstreamManager(nc);
  const stream = streamName(prefix, chainId);
  await waitFor(
    async () => {
      const info = await jsm.streams.info(stream);
      if (info.state.last_seq === 0) return false;
      const msg = await jsm.streams.getMessage(stream, { seq: info.state.last_seq });
      const e = JSON.parse(new TextDecoder().decode(msg!.data)) as LedgerEntry;
      return e.kind === 'seal' && e.partition === 'tokens' && e.blockNumber >= block;
    },
    { timeoutMs: 180_000, what: `ledger ${prefix} to reach block ${block}` },
  );
}

/** Waits until every partition's checkpoint is at `block` or later; returns the checkpoints. */
export async function waitForCheckpoints(
  db: pg.Pool,
  chainId: number,
  block: number,
  alive: () => string | undefined,
): Promise<Map<string, number>> {
  const names = allPartitions(PARTITIONS).map(String);
  return waitFor(
    async () => {
      const died = alive();
      if (died !== undefined) throw new Error(died);
      const { rows } = await db.query<{ partition: string; block_number: string }>(
        'SELECT partition, block_number FROM proj_checkpoints WHERE chain_id = $1',
        [chainId],
      );
      const at = new Map(rows.map((r) => [r.partition, Number(r.block_number)]));
      return names.every((p) => (at.get(p) ?? -1) >= block) ? at : false;
    },
    { timeoutMs: 240_000, what: `every partition's checkpoint to reach block ${block}` },
  );
}

/** A stream prefix of its own, so tests never share a ledger. */
export const uniquePrefix = (name: string): string => testPrefix('TP', name);
