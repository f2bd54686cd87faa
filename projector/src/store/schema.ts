import type { Pool } from 'pg';

/**
 * The projection tables. Big integers are `numeric(78,0)` (uint256 fits) and come back from `pg` as
 * decimal strings, which is what the API serves. Every row carries the block it was written at;
 * history rows carry `status`: 'unconfirmed' until FINALITY_DEPTH deep, then 'confirmed';
 * 'orphaned' when a reorg drops their block (they are marked, never deleted).
 *
 * Latest tables (`pools`, `ticks`, `positions`, `nft_positions`) hold the current state of the
 * canonical chain; `*_history` tables hold a row per key per block where the key changed, for
 * `?block=N` reads. `proj_checkpoints` holds each partition consumer's position; it is written in the
 * same transaction as the rows it covers, with the partition's reorg marks (`skip_reorg_id`/`skip_to_block`:
 * after a rewind by command, skip the orphaned fork's blocks until that reorg's rollback entry;
 * `last_reorg_id`: the last reorg rewound). Orphan marking and finality find a partition's rows above
 * a block by `(chain_id, block_number)`: the primary keys of `events` and (per pool) `pool_history`,
 * an index on `tick_history` and `position_history`; events carry their `partition`.
 * `proj_snapshots` holds a few recent models per partition (compressed JSON) to rewind from;
 * `proj_finality` how far each partition's rows are marked confirmed.
 *
 * `observation_cardinality_next` is not served: the projector keeps it so that a partition rebuilt from
 * these tables can check the next IncreaseObservationCardinalityNext exactly.
 */
export const PROJECTION_DDL = `
CREATE TABLE IF NOT EXISTS proj_checkpoints (
  chain_id     integer NOT NULL,
  partition    text    NOT NULL,
  stream_seq   bigint  NOT NULL,
  block_number bigint  NOT NULL,
  block_hash   text    NOT NULL,
  updated_at   timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (chain_id, partition)
);
CREATE TABLE IF NOT EXISTS pools (
  chain_id                integer NOT NULL,
  address                 text    NOT NULL,
  partition               text    NOT NULL,
  token0                  text    NOT NULL,
  token1                  text    NOT NULL,
  fee                     integer NOT NULL,
  tick_spacing            integer NOT NULL,
  created_block           bigint  NOT NULL,
  sqrt_price_x96          numeric(78,0) NOT NULL DEFAULT 0,
  tick                    integer,
  liquidity               numeric(78,0) NOT NULL DEFAULT 0,
  fee_growth_global0_x128 numeric(78,0) NOT NULL DEFAULT 0,
  fee_growth_global1_x128 numeric(78,0) NOT NULL DEFAULT 0,
  protocol_fees_token0    numeric(78,0) NOT NULL DEFAULT 0,
  protocol_fees_token1    numeric(78,0) NOT NULL DEFAULT 0,
  fee_protocol            integer NOT NULL DEFAULT 0,
  observation_cardinality_next integer NOT NULL DEFAULT 0,
  block_number            bigint  NOT NULL,
  block_hash              text    NOT NULL,
  PRIMARY KEY (chain_id, address)
);
ALTER TABLE pools ADD COLUMN IF NOT EXISTS observation_cardinality_next integer NOT NULL DEFAULT 0;
CREATE TABLE IF NOT EXISTS pool_history (
  chain_id                integer NOT NULL,
  address                 text    NOT NULL,
  block_number            bigint  NOT NULL,
  block_hash              text    NOT NULL,
  sqrt_price_x96          numeric(78,0) NOT NULL,
  tick                    integer,
  liquidity               numeric(78,0) NOT NULL,
  fee_growth_global0_x128 numeric(78,0) NOT NULL,
  fee_growth_global1_x128 numeric(78,0) NOT NULL,
  protocol_fees_token0    numeric(78,0) NOT NULL,
  protocol_fees_token1    numeric(78,0) NOT NULL,
  fee_protocol            integer NOT NULL,
  observation_cardinality_next integer NOT NULL DEFAULT 0,
  status                  text    NOT NULL DEFAULT 'unconfirmed',
  PRIMARY KEY (chain_id, address, block_number, block_hash)
);
ALTER TABLE pool_history ADD COLUMN IF NOT EXISTS observation_cardinality_next integer NOT NULL DEFAULT 0;
CREATE TABLE IF NOT EXISTS ticks (
  chain_id                  integer NOT NULL,
  pool                      text    NOT NULL,
  tick                      integer NOT NULL,
  liquidity_gross           numeric(78,0) NOT NULL,
  liquidity_net             numeric(78,0) NOT NULL,
  fee_growth_outside0_x128  numeric(78,0) NOT NULL,
  fee_growth_outside1_x128  numeric(78,0) NOT NULL,
  block_number              bigint NOT NULL,
  PRIMARY KEY (chain_id, pool, tick)
);
CREATE TABLE IF NOT EXISTS tick_history (
  chain_id                  integer NOT NULL,
  pool                      text    NOT NULL,
  tick                      integer NOT NULL,
  block_number              bigint  NOT NULL,
  block_hash                text    NOT NULL,
  liquidity_gross           numeric(78,0) NOT NULL,
  liquidity_net             numeric(78,0) NOT NULL,
  fee_growth_outside0_x128  numeric(78,0) NOT NULL,
  fee_growth_outside1_x128  numeric(78,0) NOT NULL,
  status                    text NOT NULL DEFAULT 'unconfirmed',
  PRIMARY KEY (chain_id, pool, tick, block_number, block_hash)
);
CREATE TABLE IF NOT EXISTS positions (
  chain_id                       integer NOT NULL,
  pool                           text    NOT NULL,
  owner                          text    NOT NULL,
  tick_lower                     integer NOT NULL,
  tick_upper                     integer NOT NULL,
  liquidity                      numeric(78,0) NOT NULL,
  fee_growth_inside0_last_x128   numeric(78,0) NOT NULL,
  fee_growth_inside1_last_x128   numeric(78,0) NOT NULL,
  tokens_owed0                   numeric(78,0) NOT NULL,
  tokens_owed1                   numeric(78,0) NOT NULL,
  block_number                   bigint NOT NULL,
  PRIMARY KEY (chain_id, pool, owner, tick_lower, tick_upper)
);
CREATE TABLE IF NOT EXISTS position_history (
  chain_id                       integer NOT NULL,
  pool                           text    NOT NULL,
  owner                          text    NOT NULL,
  tick_lower                     integer NOT NULL,
  tick_upper                     integer NOT NULL,
  block_number                   bigint  NOT NULL,
  block_hash                     text    NOT NULL,
  liquidity                      numeric(78,0) NOT NULL,
  fee_growth_inside0_last_x128   numeric(78,0) NOT NULL,
  fee_growth_inside1_last_x128   numeric(78,0) NOT NULL,
  tokens_owed0                   numeric(78,0) NOT NULL,
  tokens_owed1                   numeric(78,0) NOT NULL,
  status                         text NOT NULL DEFAULT 'unconfirmed',
  PRIMARY KEY (chain_id, pool, owner, tick_lower, tick_upper, block_number, block_hash)
);
CREATE TABLE IF NOT EXISTS nft_positions (
  chain_id      integer NOT NULL,
  token_id      numeric(78,0) NOT NULL,
  owner         text    NOT NULL,
  pool          text,
  tick_lower    integer,
  tick_upper    integer,
  liquidity     numeric(78,0) NOT NULL,
  burned        boolean NOT NULL DEFAULT false,
  block_number  bigint  NOT NULL,
  PRIMARY KEY (chain_id, token_id)
);
CREATE TABLE IF NOT EXISTS events (
  chain_id      integer NOT NULL,
  address       text    NOT NULL,
  block_number  bigint  NOT NULL,
  block_hash    text    NOT NULL,
  tx_index      integer NOT NULL,
  log_index     integer NOT NULL,
  tx_hash       text    NOT NULL,
  type          text    NOT NULL,
  args          jsonb   NOT NULL,
  status        text    NOT NULL DEFAULT 'unconfirmed',
  PRIMARY KEY (chain_id, block_number, log_index, block_hash)
);
CREATE INDEX IF NOT EXISTS events_by_address ON events (chain_id, address, block_number, log_index);
ALTER TABLE events ADD COLUMN IF NOT EXISTS partition text;
CREATE INDEX IF NOT EXISTS tick_history_by_block ON tick_history (chain_id, block_number);
CREATE INDEX IF NOT EXISTS position_history_by_block ON position_history (chain_id, block_number);
ALTER TABLE proj_checkpoints ADD COLUMN IF NOT EXISTS skip_reorg_id text;
ALTER TABLE proj_checkpoints ADD COLUMN IF NOT EXISTS skip_to_block bigint;
ALTER TABLE proj_checkpoints ADD COLUMN IF NOT EXISTS last_reorg_id text;
CREATE TABLE IF NOT EXISTS proj_snapshots (
  chain_id      integer NOT NULL,
  partition     text    NOT NULL,
  block_number  bigint  NOT NULL,
  block_hash    text    NOT NULL,
  stream_seq    bigint  NOT NULL,
  state         bytea   NOT NULL,
  created_at    timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (chain_id, partition, stream_seq)
);
CREATE INDEX IF NOT EXISTS proj_snapshots_by_block ON proj_snapshots (chain_id, partition, block_number);
CREATE TABLE IF NOT EXISTS proj_finality (
  chain_id         integer NOT NULL,
  partition        text    NOT NULL,
  confirmed_block  bigint  NOT NULL,
  updated_at       timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (chain_id, partition)
);
`;

/** Position-manager event types: their rows belong to the 'tokens' partition. */
export const TOKEN_EVENT_TYPES = ['IncreaseLiquidity', 'DecreaseLiquidity', 'ManagerCollect', 'Transfer'];

/**
 * Rows of `events` written before the column existed get their partition: 'tokens' for position-manager
 * events, else the partition of the pool they are filed under (factory events without a pool stay NULL).
 */
const BACKFILL_EVENT_PARTITIONS = `
UPDATE events e SET partition = CASE WHEN e.type = ANY($1::text[]) THEN 'tokens' ELSE p.partition END
  FROM pools p
 WHERE e.partition IS NULL AND p.chain_id = e.chain_id AND p.address = e.address`;

/**
 * Creates the projection tables if missing (and adds columns newer code needs). Idempotent; safe when
 * several processes start at once.
 *
 * @example await migrateProjections(pg);
 */
export async function migrateProjections(pg: Pool): Promise<void> {
  const c = await pg.connect();
  try {
    await c.query('SELECT pg_advisory_lock(hashtext($1))', ['tickstream:migrate']);
    const before = await c.query(
      `SELECT 1 FROM information_schema.columns WHERE table_name = 'events' AND column_name = 'partition'
          AND table_schema = current_schema()`,
    );
    const eventsExisted = await c.query(`SELECT to_regclass('events') IS NOT NULL AS e`);
    await c.query(PROJECTION_DDL);
    if (before.rowCount === 0 && eventsExisted.rows[0]?.e === true)
      await c.query(BACKFILL_EVENT_PARTITIONS, [TOKEN_EVENT_TYPES]);
  } finally {
    await c.query('SELECT pg_advisory_unlock(hashtext($1))', ['tickstream:migrate']).catch(() => {});
    c.release();
  }
}
