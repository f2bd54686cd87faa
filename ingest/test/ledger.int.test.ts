import { jetstreamManager } from '@nats-io/jetstream';
import { connect, type NatsConnection } from '@nats-io/transport-node';
import { type Hex, type LedgerEntry, streamName, subjectRoot } from '@tickstream/shared';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ensureStream, LedgerWriter, rawSendOf, readTail } from '../src/publish';
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

  it('behavior: a batch framed in one buffer stores what publishing message by message stores', async () => {
    const jsm = await jetstreamManager(nc);
    const entries = [...block(7, 'a', 5), ...block(8, 'b', 3)];
    // The same connection without its protocol handler: the writer falls back to `publish`.
    const plain = new Proxy(nc, {
      get: (t, k) => {
        if (k === 'protocol') return undefined;
        const v = Reflect.get(t, k);
        return typeof v === 'function' ? v.bind(t) : v;
      },
    });
    expect(rawSendOf(nc)).not.toBeNull(); // else this nats.js has no fast path: see frame.ts
    expect(rawSendOf(plain)).toBeNull();
    const stored = [];
    for (const conn of [nc, plain]) {
      const target = { prefix: uniquePrefix('frame'), chainId: 31337 };
      await ensureStream(jsm, target);
      const w = new LedgerWriter(conn, target, null);
      await w.append(entries.slice(0, 4));
      expect(await w.append(entries.slice(4))).toBe(entries.length);
      const name = streamName(target.prefix, target.chainId);
      const msgs = [];
      for (let seq = 1; seq <= entries.length; seq++) {
        const m = await jsm.streams.getMessage(name, { seq });
        msgs.push({
          subject: m!.subject.slice(subjectRoot(target.prefix, 31337).length),
          data: Buffer.from(m!.data).toString('hex'),
          id: m!.header.get('Nats-Msg-Id'),
          expect: m!.header.get('Nats-Expected-Last-Msg-Id'),
        });
      }
      stored.push(msgs);
    }
    expect(stored[0]).toEqual(stored[1]);
    expect(stored[0]![1]!.expect).toBe(stored[0]![0]!.id);
    expect(stored[0]![4]!.expect).toBe(stored[0]![3]!.id);
  });

  it('error: an entry refused inside a batch refuses the rest (only the last is acknowledged)', async () => {
    const target = { prefix: uniquePrefix('hole'), chainId: 31337 };
    const jsm = await jetstreamManager(nc);
    const name = streamName(target.prefix, target.chainId);
    await jsm.streams.add({
      name,
      subjects: [`${subjectRoot(target.prefix, 31337)}.>`],
      max_msg_size: 2_000,
    });
    const entries = block(3, 'c', 3);
    const big = {
      ...(entries[1] as Extract<LedgerEntry, { kind: 'log' }>),
      data: `0x${'00'.repeat(3_000)}` as Hex,
    };
    const w = new LedgerWriter(nc, target, null);
    await expect(w.append([entries[0]!, big, ...entries.slice(2)])).rejects.toMatchObject({
      code: 'LEDGER_ERROR',
    });
    const kept = await readStream(nc, name);
    expect(kept.map((x) => x.entry)).toEqual([entries[0]]);
  });
});
