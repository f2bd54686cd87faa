import type { JetStreamClient, JetStreamManager } from '@nats-io/jetstream';
import type { Logger, Partition } from '@tickstream/shared';
import { partitionSubject, streamName } from '@tickstream/shared';
import type { Redis } from 'ioredis';
import type { Pool } from 'pg';
import type { ProjectorConfig } from '../config';
import type { FeedTarget, LedgerLink } from '../consume';
import type { SnapshotCache } from '../store/snapshot-cache';

/** The clients the projector works with; the first argument of every stage that does I/O. */
export interface ProjectorDeps {
  readonly pg: Pool;
  /** Undefined: no Redis publishing (Postgres only). */
  readonly redis: Redis | undefined;
  /** The rewind's ledger reads (`rewind/replay.ts`). */
  readonly js: JetStreamClient;
  /**
   * Opens the connection a partition's feed reads its consumer on (`consume/link.ts`); default: a link
   * to NATS_URL.
   */
  readonly openLink?: () => Promise<LedgerLink>;
  readonly jsm: JetStreamManager;
  readonly log: Logger;
  readonly cfg: ProjectorConfig;
  /** Called after every commit of any partition, before its ack (the PROJECTOR_FAULT hook; tests). */
  readonly afterCommit?: () => void;
  /** The snapshots this process wrote, kept in memory for rewinds (`runProjector` makes one). */
  readonly snapshots?: SnapshotCache;
}

/**
 * Where a partition reads: the chain's stream, the partition's subject and its durable consumer,
 * `<prefix>_<PROJECTOR_CONSUMER_NAME>_<partition>`.
 *
 * @example
 * feedTarget(cfg, 2); // { stream: 'TICKSTREAM_31337', subject: 'tickstream.31337.p2', durable: 'TICKSTREAM_projector_2' }
 */
export function feedTarget(cfg: ProjectorConfig, partition: Partition): FeedTarget {
  return {
    stream: streamName(cfg.LEDGER_STREAM_PREFIX, cfg.CHAIN_ID),
    subject: partitionSubject(cfg.LEDGER_STREAM_PREFIX, cfg.CHAIN_ID, partition),
    durable: `${cfg.LEDGER_STREAM_PREFIX}_${cfg.PROJECTOR_CONSUMER_NAME}_${partition}`,
  };
}
