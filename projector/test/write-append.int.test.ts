import { createTestDatabase, type TestDatabase } from '@tickstream/deploy/local';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { accumulate, applyBlock, type BatchChanges, createBatch, createPartitionModel } from '../src/apply';
import { poolScenario } from '../src/apply/test-ledger';
import { migrateProjections, writeBatch } from '../src/store';

const CHAIN = 31337;
const HISTORY = ['pool_history', 'tick_history', 'position_history', 'events'] as const;
let db: TestDatabase;
let pool: pg.Pool;

function poolBatch(): BatchChanges {
  const model = createPartitionModel(CHAIN, 0);
  const batch = createBatch(CHAIN, 0);
  for (const b of poolScenario().blocks) accumulate(batch, applyBlock(model, b));
  return batch;
}

async function truncate(): Promise<void> {
  for (const t of [...HISTORY, 'proj_checkpoints', 'proj_finality', 'pools', 'ticks', 'positions'])
    await pool.query(`TRUNCATE ${t}`);
}

/** `block:status` of the history and event rows, distinct, in order. */
async function statuses(): Promise<string[]> {
  const { rows } = await pool.query<{ block_number: string; status: string }>(
    `SELECT DISTINCT block_number, status FROM (
       SELECT block_number, status FROM events UNION ALL SELECT block_number, status FROM tick_history
       UNION ALL SELECT block_number, status FROM position_history
       UNION ALL SELECT block_number, status FROM pool_history) r ORDER BY 1, 2`,
  );
  return rows.map((r) => `${r.block_number}:${r.status}`);
}

/** The confirmed blocks in `proj_finality`. */
async function finality(): Promise<number[]> {
  const { rows } = await pool.query<{ b: string }>('SELECT confirmed_block AS b FROM proj_finality');
  return rows.map((r) => Number(r.b));
}

/** Every history and event row, as Postgres has it. */
async function history(): Promise<Record<string, unknown[]>> {
  const out: Record<string, unknown[]> = {};
  for (const table of HISTORY) {
    const { rows } = await pool.query(`SELECT * FROM ${table} ORDER BY 1, 2, 3, 4, 5`);
    out[table] = rows;
  }
  return out;
}

beforeAll(async () => {
  db = await createTestDatabase('projector_write_append');
  pool = new pg.Pool({ connectionString: db.url, max: 3 });
  await migrateProjections(pool);
});

afterAll(async () => {
  await pool?.end();
  await db?.drop();
});

describe('writeBatch: history and event rows by COPY', () => {
  it('default: the rows COPYed are the rows the upserts would write', async () => {
    const batch = poolBatch();
    expect(await writeBatch(pool, batch, null)).toEqual({ status: 'advanced' });
    const copied = await history();
    expect(copied.events).toHaveLength(batch.events.length);
    expect(copied.tick_history).toHaveLength(batch.tickHistory.length);
    expect(copied.position_history).toHaveLength(batch.positionHistory.length);
    expect(copied.pool_history).toHaveLength(batch.poolHistory.length);
    expect(
      new Set(Object.values(copied).flatMap((rows) => rows.map((r) => (r as { status: string }).status))),
    ).toEqual(new Set(['unconfirmed']));
    expect((copied.events?.[0] as { args?: unknown } | undefined)?.args).toEqual(
      JSON.parse(batch.events[0]!.args),
    );
  });

  it('behavior: rows that exist (orphaned, their blocks appended again) fail the COPY; the upserts revive them', async () => {
    const before = await history();
    for (const table of HISTORY) await pool.query(`UPDATE ${table} SET status = 'orphaned'`);
    await pool.query('UPDATE proj_checkpoints SET stream_seq = 0'); // as if rewound to before the batch
    expect(await writeBatch(pool, poolBatch(), 0)).toEqual({ status: 'advanced' });
    expect(await history()).toEqual(before);
    const { rows } = await pool.query<{ n: number }>(
      'SELECT count(*)::int AS n FROM pg_stat_activity WHERE datname = current_database()',
    );
    expect(rows[0]!.n).toBeLessThanOrEqual(3);
  });

  it('confirmedThrough: rows at or below it are written confirmed; proj_finality follows only with nothing unconfirmed below', async () => {
    await truncate();
    const model = createPartitionModel(CHAIN, 0);
    const [b10, b11, b12] = poolScenario().blocks; // blocks 10, 11 and 12
    const first = createBatch(CHAIN, 0);
    for (const b of [b10!, b11!]) accumulate(first, applyBlock(model, b));
    const second = createBatch(CHAIN, 0);
    accumulate(second, applyBlock(model, b12!));

    // The partition's first commit: block 10 is final, block 11 not yet.
    expect(await writeBatch(pool, first, null, { confirmedThrough: 10, previousBlock: null })).toEqual({
      status: 'advanced',
    });
    expect(await statuses()).toEqual(['10:confirmed', '11:unconfirmed']);
    expect(await finality()).toEqual([10]);

    // Block 12 is final when written, but block 11 below it is still unconfirmed: proj_finality stays.
    expect(await writeBatch(pool, second, 110, { confirmedThrough: 12, previousBlock: 11 })).toEqual({
      status: 'advanced',
    });
    expect(await statuses()).toEqual(['10:confirmed', '11:unconfirmed', '12:confirmed']);
    expect(await finality()).toEqual([10]);
  });

  it('confirmedThrough: proj_finality moves up batch after batch while nothing below is unconfirmed', async () => {
    await truncate();
    const model = createPartitionModel(CHAIN, 0);
    const batches = poolScenario().blocks.map((b) => {
      const batch = createBatch(CHAIN, 0);
      accumulate(batch, applyBlock(model, b));
      return batch;
    });
    const [b10, b11, b12] = batches;
    await writeBatch(pool, b10!, null, { confirmedThrough: 10, previousBlock: null });
    expect(await finality()).toEqual([10]);
    await writeBatch(pool, b11!, 100, { confirmedThrough: 11, previousBlock: 10 });
    expect(await finality()).toEqual([11]);
    await writeBatch(pool, b12!, 110, { confirmedThrough: 11, previousBlock: 11 }); // near the head
    expect(await finality()).toEqual([11]);
    expect(await statuses()).toEqual(['10:confirmed', '11:confirmed', '12:unconfirmed']);
  });
});
