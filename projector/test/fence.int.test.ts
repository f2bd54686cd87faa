/**
 * Takeover fencing against a real Postgres: a previous owner frozen in the middle of a commit keeps the
 * partition's checkpoint row locked; the successor's fence ends that session (and only foreign ones),
 * after which the successor's compare-and-set goes through at once, and the woken owner gets failed
 * queries, not a crash.
 */
import { createTestDatabase, type TestDatabase } from '@tickstream/deploy/local';
import { createLogger } from '@tickstream/shared';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TakeoverFence } from '../src/assign/fence';
import { migrateProjections } from '../src/store';

const CHAIN = 31337;
const log = createLogger('fence-test', 'silent');
let db: TestDatabase;
/** The successor process's pool, and the frozen previous owner's. */
let successor: pg.Pool;
let previous: pg.Pool;

beforeAll(async () => {
  db = await createTestDatabase('proj_fence');
  successor = new pg.Pool({ connectionString: db.url, max: 4 });
  previous = new pg.Pool({ connectionString: db.url, max: 4 });
  successor.on('error', () => undefined);
  previous.on('error', () => undefined);
  await migrateProjections(successor);
  for (const p of ['1', '2', '3']) {
    await successor.query(
      `INSERT INTO proj_checkpoints (chain_id, partition, stream_seq, block_number, block_hash)
       VALUES ($1, $2, 100, 10, '0xa')`,
      [CHAIN, p],
    );
    await successor.query(
      'INSERT INTO proj_finality (chain_id, partition, confirmed_block) VALUES ($1, $2, 0)',
      [CHAIN, p],
    );
  }
}, 60_000);

afterAll(async () => {
  await successor?.end();
  await previous?.end();
  await db?.drop();
});

/** The successor's first commit of `partition`: the checkpoint compare-and-set, refused after 0.5 s of waiting. */
async function successorCommits(partition: string): Promise<number> {
  const c = await successor.connect();
  try {
    await c.query('BEGIN');
    await c.query("SET LOCAL lock_timeout = '500ms'");
    const r = await c.query(
      `UPDATE proj_checkpoints SET stream_seq = stream_seq + 1 WHERE chain_id = $1 AND partition = $2`,
      [CHAIN, partition],
    );
    await c.query('COMMIT');
    return r.rowCount ?? 0;
  } catch (err) {
    await c.query('ROLLBACK').catch(() => undefined);
    throw err;
  } finally {
    c.release();
  }
}

describe('TakeoverFence', () => {
  it('behavior: a previous owner frozen mid-commit is evicted; the successor commits at once; the woken owner fails its query, no crash', async () => {
    const theirs = new TakeoverFence(previous, CHAIN, log);
    theirs.guard(); // the previous owner's process watches its own pool too
    const frozen = await previous.connect();
    await frozen.query('BEGIN');
    await frozen.query(
      'UPDATE proj_checkpoints SET stream_seq = 150 WHERE chain_id = $1 AND partition = $2 AND stream_seq = 100',
      [CHAIN, '2'],
    );
    // … and the process stops here (SIGSTOP) with its transaction open: the successor would wait.
    await expect(successorCommits('2')).rejects.toMatchObject({ code: '55P03' }); // lock_not_available

    const fence = new TakeoverFence(successor, CHAIN, log);
    const evicted = await fence.evict(2);
    expect(evicted).toHaveLength(1);
    expect(evicted[0]).toMatchObject({
      rows: ['checkpoint'],
      state: 'idle in transaction',
      terminated: true,
    });
    expect(await successorCommits('2')).toBe(1);

    // The previous owner wakes: its query fails (its session is gone), its process goes on.
    await expect(frozen.query('COMMIT')).rejects.toThrow();
    frozen.release(true);
    const { rows } = await previous.query(
      'SELECT stream_seq FROM proj_checkpoints WHERE chain_id = $1 AND partition = $2',
      [CHAIN, '2'],
    );
    expect(Number(rows[0].stream_seq)).toBe(101); // the successor's commit, not the frozen one's
    expect(await fence.evict(2)).toEqual([]); // nobody left
  });

  it('behavior: the finality row held by another process is freed too; a holder of both rows is ended once', async () => {
    const fence = new TakeoverFence(successor, CHAIN, log);
    const frozen = await previous.connect();
    frozen.on('error', () => undefined);
    await frozen.query('BEGIN');
    await frozen.query('SELECT 1 FROM proj_finality WHERE chain_id = $1 AND partition = $2 FOR UPDATE', [
      CHAIN,
      '3',
    ]);
    await frozen.query(
      'UPDATE proj_checkpoints SET stream_seq = 200 WHERE chain_id = $1 AND partition = $2',
      [CHAIN, '3'],
    );
    const evicted = await fence.evict(3);
    expect(evicted).toHaveLength(1);
    expect(evicted[0]).toMatchObject({ rows: ['checkpoint', 'finality'], terminated: true });
    frozen.release(true);
    expect(await successorCommits('3')).toBe(1);
  });

  it("behavior: this process's own sessions are never evicted, nor are other partitions' writers", async () => {
    const fence = new TakeoverFence(successor, CHAIN, log);
    fence.guard();
    // Our finality task confirming partition 1 while its runner starts.
    const own = await successor.connect();
    await own.query('BEGIN');
    await own.query('SELECT 1 FROM proj_finality WHERE chain_id = $1 AND partition = $2 FOR UPDATE', [
      CHAIN,
      '1',
    ]);
    // Another process writing another partition.
    const other = await previous.connect();
    await other.query('BEGIN');
    await other.query('UPDATE proj_checkpoints SET stream_seq = 300 WHERE chain_id = $1 AND partition = $2', [
      CHAIN,
      '3',
    ]);
    try {
      expect(await fence.evict(1)).toEqual([]);
      await own.query('COMMIT');
      await other.query('COMMIT');
    } finally {
      own.release();
      other.release();
    }
  });

  it('behavior: a stop before the fence answers returns at once', async () => {
    const fence = new TakeoverFence(successor, CHAIN, log);
    const stop = new AbortController();
    stop.abort();
    expect(await fence.evict(1, stop.signal)).toEqual([]);
  });
});
