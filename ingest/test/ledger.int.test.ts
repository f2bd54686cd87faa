import { jetstreamManager } from '@nats-io/jetstream';
import { connect, type NatsConnection } from '@nats-io/transport-node';
import { type Hex, type LedgerEntry, streamName } from '@tickstream/shared';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ensureStream, LedgerWriter, readTail } from '../src/publish';
import { blockEntries } from '../src/route';
import type { ChainLog } from '../src/rpc';
import { uniquePrefix } from './support/env';
import { readStream } from './support/ledger';

let nc: NatsConnection;
beforeAll(async () => {
  nc = await connect({ servers: 'nats://127.0.0.1:4222' });
});
afterAll(async () => {
  await nc.close();
});

const route = {
  chainId: 31337,
  partitions: 4,
  factory: `0x${'f'.repeat(40)}` as Hex,
  positionManager: `0x${'e'.repeat(40)}` as Hex,
};
function block(n: number, hashChar: string, logs: number): LedgerEntry[] {
  const out: ChainLog[] = [];
  for (let i = 0; i < logs; i++) {
    out.push({
      address: `0x${(i % 3).toString().repeat(40)}`,
      topics: [`0x${'1'.repeat(64)}`],
      data: '0x',
      blockNumber: n,
      blockHash: `0x${hashChar.repeat(64)}` as Hex,
      blockTimestamp: null,
      txHash: `0x${'2'.repeat(64)}`,
      txIndex: 0,
      logIndex: i,
    });
  }
  return blockEntries(route, out, null);
}

describe('ledger appends', () => {
  it('behavior: the same block published twice (a redelivery) is stored once', async () => {
    const target = { prefix: uniquePrefix('dedup'), chainId: 31337 };
    const jsm = await jetstreamManager(nc);
    await ensureStream(jsm, target);
    const entries = block(7, 'a', 5);
    const first = new LedgerWriter(nc, target, null);
    await first.append(entries);
    // A writer that lost track of the tail (e.g. a restart that re-sends the block): no expectation.
    const again = new LedgerWriter(nc, target, null);
    await again.append(entries);
    const stored = await readStream(nc, streamName(target.prefix, target.chainId));
    expect(stored).toHaveLength(entries.length);
    expect((await readTail(jsm, target))?.seq).toBe(entries.length);
  });

  it('behavior: the same position on another fork (other block hash) is not a duplicate', async () => {
    const target = { prefix: uniquePrefix('fork'), chainId: 31337 };
    const jsm = await jetstreamManager(nc);
    await ensureStream(jsm, target);
    const w = new LedgerWriter(nc, target, null);
    await w.append(block(7, 'a', 2));
    await w.append(block(7, 'b', 2));
    expect(await readStream(nc, streamName(target.prefix, target.chainId))).toHaveLength(2 * (2 + 5));
  });

  it('error: a writer whose expected predecessor is not the tail is refused, and nothing is stored', async () => {
    const target = { prefix: uniquePrefix('fence'), chainId: 31337 };
    const jsm = await jetstreamManager(nc);
    await ensureStream(jsm, target);
    await new LedgerWriter(nc, target, null).append(block(1, 'a', 1));
    const tail = await readTail(jsm, target);
    const stale = new LedgerWriter(nc, target, { ...tail!, msgId: 'log:0:0:0:0xstale' });
    await expect(stale.append(block(2, 'a', 1))).rejects.toMatchObject({ code: 'LEDGER_ERROR' });
    expect((await readTail(jsm, target))?.seq).toBe(tail!.seq);
  });
});
