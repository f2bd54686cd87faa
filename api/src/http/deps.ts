import type { Logger } from '@tickstream/shared';
import type { Pool } from 'pg';
import type { HeadStore } from '../read/head';

/** What the app needs from outside. Every I/O goes through these clients. */
export interface AppDeps {
  /** Postgres with the projection tables: the source of truth. */
  readonly pg: Pool;
  /** Optional: read for the head published under `ts:<chainId>:head` (a full ioredis client fits). */
  readonly redis?: HeadStore;
  readonly chainId: number;
  readonly log: Logger;
  /** API_READY_MAX_LAG_BLOCKS. */
  readonly readyMaxLag: number;
  /**
   * PARTITIONS, when known: /ready then also requires a checkpoint of every partition '0'..'P-1' and
   * 'tokens'. Without it, /ready judges the checkpoints that exist.
   */
  readonly partitions?: number;
  /** FINALITY_DEPTH: `?finality=confirmed` answers at the checkpoint minus this many blocks (default 64). */
  readonly finalityDepth?: number;
}
