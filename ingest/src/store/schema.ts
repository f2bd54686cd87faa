import type { Pool } from 'pg';

/** Ingest's own tables. Idempotent; run at start under an advisory lock so concurrent starts do not race. */
const DDL = `
CREATE TABLE IF NOT EXISTS ingest_pools (
  chain_id      integer NOT NULL,
  address       text    NOT NULL,
  created_block bigint  NOT NULL,
  PRIMARY KEY (chain_id, address)
);
CREATE TABLE IF NOT EXISTS ingest_headers (
  chain_id    integer NOT NULL,
  number      bigint  NOT NULL,
  hash        text    NOT NULL,
  parent_hash text    NOT NULL,
  timestamp   bigint  NOT NULL,
  PRIMARY KEY (chain_id, number)
);
CREATE TABLE IF NOT EXISTS ingest_cursor (
  chain_id     integer PRIMARY KEY,
  block_number bigint  NOT NULL,
  stream_seq   bigint  NOT NULL,
  updated_at   timestamptz NOT NULL DEFAULT now()
);
ALTER TABLE ingest_cursor ADD COLUMN IF NOT EXISTS epoch text;
CREATE TABLE IF NOT EXISTS ingest_watch (
  chain_id       integer NOT NULL,
  address        text    NOT NULL,
  kind           text    NOT NULL,
  from_block     bigint  NOT NULL,
  done_to        bigint  NOT NULL,
  skip_log_index integer NOT NULL DEFAULT -1,
  joined_at      bigint,
  logs           bigint  NOT NULL DEFAULT 0,
  updated_at     timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (chain_id, address)
);
CREATE TABLE IF NOT EXISTS ingest_watch_pools (
  chain_id      integer NOT NULL,
  factory       text    NOT NULL,
  pool          text    NOT NULL,
  created_block bigint  NOT NULL,
  PRIMARY KEY (chain_id, factory, pool)
);
`;

export async function migrateIngest(pg: Pool): Promise<void> {
  const c = await pg.connect();
  try {
    await c.query('SELECT pg_advisory_lock(hashtext($1))', ['tickstream:migrate']);
    await c.query(DDL);
  } finally {
    await c.query('SELECT pg_advisory_unlock(hashtext($1))', ['tickstream:migrate']).catch(() => {});
    c.release();
  }
}
