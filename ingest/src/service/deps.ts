import type { JetStreamManager } from '@nats-io/jetstream';
import type { NatsConnection } from '@nats-io/transport-node';
import type { Hex, Logger, ServiceSettings } from '@tickstream/shared';
import type { Pool } from 'pg';
import type { LedgerTarget, LedgerWriter } from '../publish';
import type { RouteContext } from '../route';
import type { ChainHeader, RpcClient } from '../rpc';
import type { WatchJob } from '../store';

export type IngestSettings = ServiceSettings<'ingest'>;

/** The clients ingest works with; the first argument of every stage that does I/O. */
export interface IngestDeps {
  /** The RPC providers of the chain, as a pooled viem client (`client.pool` for checked calls). */
  readonly client: RpcClient;
  readonly pg: Pool;
  readonly nc: NatsConnection;
  readonly jsm: JetStreamManager;
  readonly log: Logger;
  readonly cfg: IngestSettings;
  readonly route: RouteContext;
  readonly target: LedgerTarget;
  /** The stop signal: `runIngest` returns on it, a retry's wait ends on it, and a call failing after it is not retried. */
  readonly signal?: AbortSignal;
}

/** What ingest knows between blocks. */
export interface IngestState {
  /** Known pools and the block each was created in. */
  readonly pools: Map<Hex, number>;
  /** Recent headers near the head (the hash chain), by number. */
  readonly headers: Map<number, ChainHeader>;
  /** Addresses operators added at runtime (`tickstream watch add`): backfilling or joined. */
  readonly jobs: Map<Hex, WatchJob>;
  readonly writer: LedgerWriter;
  /** The next block to append. */
  next: number;
  /** The stream sequence of the last entry appended (0 for an empty stream). */
  seq: number;
  /** The last block appended and its hash, when known (backfill learns hashes from logs). */
  last: { number: number; hash: Hex | null } | null;
}

export function routeContextOf(cfg: IngestSettings): RouteContext {
  return {
    chainId: cfg.CHAIN_ID,
    partitions: cfg.PARTITIONS,
    factory: cfg.FACTORY_ADDRESS,
    positionManager: cfg.POSITION_MANAGER_ADDRESS,
    factories: new Set<Hex>(),
  };
}
