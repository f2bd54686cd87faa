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
});
