import { describe, expect, it } from 'vitest';
import { isTickstreamError } from '../errors';
import { binaryLogSize, writeBinaryLog } from './binary-log';
import { decodeEntry, encodeEntry, messageId } from './codec';
import type { LogEntry, SealEntry } from './entry';
import { comparePositions, positionKey } from './position';
import { partitionOfAddress } from './subjects';

const h = (c: string) => `0x${c.repeat(64)}` as const;
const log: LogEntry = {
  kind: 'log',
  chainId: 31337,
  partition: 2,
  blockNumber: 120,
  blockHash: h('a'),
  blockTimestamp: 1_700_000_000,
  txIndex: 3,
  txHash: h('b'),
  logIndex: 7,
  address: `0x${'1'.repeat(40)}`,
  topics: [h('c')],
  data: '0x00ff',
};

describe('codec', () => {
  it('default: round-trips a log, a seal and a rollback', () => {
    const seal: SealEntry = {
      kind: 'seal',
      chainId: 1,
      partition: 'tokens',
      blockNumber: 5,
      blockHash: h('d'),
      parentHash: null,
      timestamp: null,
      logCount: 0,
    };
    for (const e of [
      log,
      seal,
      { kind: 'rollback', chainId: 1, partition: 0, toBlock: 4, toBlockHash: h('e'), reorgId: 'r1' },
    ] as const) {
      expect(decodeEntry(encodeEntry(e))).toEqual(e);
    }
  });

  it('behavior: logs travel in the binary form and round-trip exactly (context, no timestamp, no topics, empty data)', () => {
    const withContext: LogEntry = {
      ...log,
      partition: 'tokens',
      context: { pool: `0x${'2'.repeat(40)}`, tickLower: -887220, tickUpper: 60 },
    };
    const edge: LogEntry = { ...log, blockTimestamp: null, topics: [], data: '0x', blockNumber: 2 ** 40 + 3 };
    for (const e of [log, withContext, edge]) {
      const bytes = encodeEntry(e);
      expect(bytes[0]).toBe(1);
      expect(bytes.length).toBeLessThan(JSON.stringify(e).length / 2 + 40);
      expect(decodeEntry(bytes)).toEqual(e);
    }
  });

  it('behavior: entries written (and decoded) one after another keep their own hashes and addresses', () => {
    const entries = [
      log,
      { ...log, logIndex: 8 },
      { ...log, logIndex: 9, txHash: h('9') },
      { ...log, blockHash: h('8'), logIndex: 0 },
      { ...log, blockHash: h('A').toLowerCase() as LogEntry['blockHash'], txHash: h('B') },
      { ...log, address: `0x${'2'.repeat(40)}` as LogEntry['address'] },
      log,
    ];
    const buf = Buffer.alloc(entries.reduce((n, e) => n + binaryLogSize(e), 0));
    const ends: number[] = [];
    for (const e of entries) ends.push(writeBinaryLog(e, buf, ends.at(-1) ?? 0));
    expect(ends.at(-1)).toBe(buf.length);
    const decoded = ends.map((end, i) => decodeEntry(buf.subarray(i === 0 ? 0 : ends[i - 1], end)));
    expect(decoded).toEqual(entries.map((e) => ({ ...e, txHash: e.txHash.toLowerCase() })));
  });

  it('behavior: topics that end alike (the decoder keeps recent ones by their last 4 bytes) decode as themselves', () => {
    const tail = 'deadbeef';
    const topic = (head: string) => `0x${head.repeat(56)}${tail}` as const;
    const entries: LogEntry[] = [
      { ...log, topics: [topic('1'), topic('2')] },
      { ...log, topics: [topic('2'), topic('1'), topic('3')] },
      { ...log, topics: [topic('1'), topic('2')] },
    ];
    for (const e of entries) expect(decodeEntry(encodeEntry(e))).toEqual(e);
  });

  it('error: a truncated binary log is LEDGER_MALFORMED', () => {
    const bytes = encodeEntry(log);
    expect(() => decodeEntry(bytes.subarray(0, bytes.length - 1))).toThrow(/too short/);
    expect(() => decodeEntry(bytes.subarray(0, 40))).toThrow(/too short/);
  });

  it('behavior: message id includes the block hash', () => {
    const other = { ...log, blockHash: h('f') };
    expect(messageId(log)).not.toBe(messageId(other));
    expect(messageId(log)).toContain(log.blockHash);
  });

  it.each([
    ['kind', { kind: 'nope' }],
    ['blockHash', { blockHash: '0x12' }],
    ['topics', { topics: ['0x1'] }],
    ['partition', { partition: -1 }],
    ['logIndex', { logIndex: 1.5 }],
  ])('error: names the malformed field (%s)', (field, patch) => {
    const bytes = new TextEncoder().encode(JSON.stringify({ ...log, ...patch }));
    try {
      decodeEntry(bytes);
      expect.unreachable();
    } catch (err) {
      expect(isTickstreamError(err, 'LEDGER_MALFORMED')).toBe(true);
      expect((err as Error).message).toContain(field);
    }
  });
});

describe('position', () => {
  it('behavior: key order equals compare order', () => {
    const ps = [
      { blockNumber: 2, txIndex: 0, logIndex: 0 },
      { blockNumber: 1, txIndex: 5, logIndex: 9 },
      { blockNumber: 1, txIndex: 5, logIndex: 10 },
      { blockNumber: 10, txIndex: 0, logIndex: 1 },
    ];
    const byCompare = [...ps].sort(comparePositions);
    const byKey = [...ps].sort((a, b) => (positionKey(a) < positionKey(b) ? -1 : 1));
    expect(byKey).toEqual(byCompare);
  });

  it('behavior: partitions are stable and in range', () => {
    const a = `0x${'ab'.repeat(20)}` as const;
    expect(partitionOfAddress(a, 4)).toBe(partitionOfAddress(a, 4));
    const seen = new Set<number>();
    for (let i = 0; i < 64; i++) seen.add(partitionOfAddress(`0x${i.toString(16).padStart(40, '0')}`, 4));
    expect([...seen].sort()).toEqual([0, 1, 2, 3]);
  });

  it('behavior: partitions are FNV-1a over the address bytes (the ledger depends on it)', () => {
    const fnv = (a: string, count: number) => {
      let h = 0x811c9dc5;
      for (const byte of Buffer.from(a.slice(2), 'hex')) h = Math.imul(h ^ byte, 0x01000193) >>> 0;
      return h % count;
    };
    expect(partitionOfAddress('0x8ad599c3a0ff1de082011efddc58f1908eb6e6d8', 16)).toBe(15);
    for (let i = 0; i < 200; i++) {
      const a = `0x${(Math.imul(i, 0x9e3779b1) >>> 0).toString(16).padStart(8, '0').repeat(5)}` as const;
      expect(partitionOfAddress(a, 7)).toBe(fnv(a, 7));
      expect(partitionOfAddress(a.toUpperCase().replace('0X', '0x') as `0x${string}`, 7)).toBe(fnv(a, 7));
    }
  });
});
