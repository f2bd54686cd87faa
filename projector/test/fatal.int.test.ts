import { jetstream, jetstreamManager } from '@nats-io/jetstream';
import { connect, type NatsConnection } from '@nats-io/transport-node';
import { createTestDatabase, type TestDatabase } from '@tickstream/deploy/local';
import {
  encodeEntry,
  type LedgerEntry,
  messageId,
  partitionSubject,
  streamName,
  subjectRoot,
} from '@tickstream/shared';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { spawnService } from '../../ingest/test/support/process';
import { blockHash, poolScenario, sealedBlock } from '../src/apply/test-ledger';
import { evolvePool } from '../src/fold';
import { ALICE, mintEvent } from '../src/fold/test-fixtures';
import { projectorEnv, uniquePrefix } from './support/stack';

const CHAIN = 31337;
let nc: NatsConnection;
let db: TestDatabase;
let pool: pg.Pool;
const streams: string[] = [];

/** A stream of its own holding `entries` in order; returns the prefix and each entry's sequence. */
async function ledgerOf(entries: LedgerEntry[]): Promise<{ prefix: string; seqs: number[] }> {
  const prefix = uniquePrefix('fatal');
  const jsm = await jetstreamManager(nc);
  await jsm.streams.add({ name: streamName(prefix, CHAIN), subjects: [`${subjectRoot(prefix, CHAIN)}.>`] });
  streams.push(streamName(prefix, CHAIN));
  const js = jetstream(nc);
  const seqs: number[] = [];
  for (const e of entries) {
    const ack = await js.publish(partitionSubject(prefix, CHAIN, e.partition), encodeEntry(e), {
      msgID: messageId(e),
    });
    seqs.push(ack.seq);
  }
  return { prefix, seqs };
}

function entriesOf(block: ReturnType<typeof sealedBlock>): LedgerEntry[] {
  return [...block.logs, block.seal];
}

beforeAll(async () => {
  nc = await connect({ servers: 'nats://127.0.0.1:4222' });
  db = await createTestDatabase('projector_fatal');
  pool = new pg.Pool({ connectionString: db.url, max: 2 });
});

afterAll(async () => {
  if (nc !== undefined) {
    const jsm = await jetstreamManager(nc);
    for (const s of streams) await jsm.streams.delete(s).catch(() => false);
  }
  await nc?.close();
  await pool?.end();
  await db?.drop();
});

describe('fatal errors stop the projector loudly, with nothing wrong written', () => {
  it('error: a log that contradicts the state is PROJECTION_INVARIANT, exit 1, the block before it stays', async () => {
    const { shadow, blocks } = poolScenario();
    const good = blocks[0]!;
    // Block 11: a Mint whose amount0 is one wei more than the contract would have taken (no swap ever
    // moved the price, so the scenario's final state gives the same amounts as the state after block 10).
    const mint = mintEvent(shadow, ALICE, -600, 600, 10n ** 15n);
    evolvePool(shadow, mint);
    const bad = sealedBlock(0, 11, 0, [{ ...mint, amount0: mint.amount0 + 1n }]);
    const { prefix, seqs } = await ledgerOf([...entriesOf(good), ...entriesOf(bad)]);
    const env = projectorEnv(CHAIN, prefix, db.url, {
      PROJECTOR_BATCH_ENTRIES: '1',
      PROJECTOR_PARTITIONS: '0',
    });
    const projector = spawnService('projector/src/main.ts', env);
    const exit = await projector.exited;
    expect(exit.code).toBe(1);
    expect(projector.output()).toContain('PROJECTION_INVARIANT');
    expect(projector.output()).toMatch(/Mint of pool 0x[0-9a-f]{40} at block 11/);
    const { rows } = await pool.query(
      'SELECT stream_seq, block_number, block_hash FROM proj_checkpoints WHERE chain_id = $1',
      [CHAIN],
    );
    expect(rows).toEqual([{ stream_seq: String(seqs[3]), block_number: '10', block_hash: blockHash(10) }]);
    const events = await pool.query('SELECT max(block_number) AS n FROM events WHERE chain_id = $1', [CHAIN]);
    expect(events.rows[0].n).toBe('10');
  });
});
