import { isTickstreamError } from '@tickstream/shared';
import { describe, expect, it } from 'vitest';
import { checkLogs, parseHeader, parseLog, parseLogs } from './validate';

const raw = {
  address: '0x' + 'Ab'.repeat(20),
  topics: ['0x' + '1'.repeat(64)],
  data: '0x0012',
  blockNumber: '0x10',
  blockHash: '0x' + '2'.repeat(64),
  transactionHash: '0x' + '3'.repeat(64),
  transactionIndex: '0x1',
  logIndex: '0x5',
  removed: false,
};

function codeOf(fn: () => unknown): { code: string; message: string } {
  try {
    fn();
  } catch (err) {
    if (isTickstreamError(err)) return { code: err.code, message: err.message };
    throw err;
  }
  throw new Error('expected an error');
}

describe('parseLog', () => {
  it('default: decodes quantities and lowercases hex', () => {
    expect(parseLog(raw)).toMatchObject({
      address: '0x' + 'ab'.repeat(20),
      blockNumber: 16,
      txIndex: 1,
      logIndex: 5,
      blockTimestamp: null,
    });
  });
  it.each([
    ['blockHash', { blockHash: null }],
    ['blockHash', { blockHash: '0x12' }],
    ['address', { address: '0xzz' }],
    ['logIndex', { logIndex: 5 }],
    ['topic', { topics: ['0x1'] }],
    ['removed', { removed: true }],
    ['data', { data: '0x123' }],
  ])('error: a malformed %s is RPC_MALFORMED and retryable', (field, patch) => {
    const e = codeOf(() => parseLog({ ...raw, ...patch }));
    expect(e.code).toBe('RPC_MALFORMED');
    expect(e.message).toContain(field);
  });
});

describe('parseLog quantities and case', () => {
  it.each(['0x', '0x1 ', ' 0x1', '0x1g', '0X1', '0x12345678901234', '0x1.5', '0x_1', 1])(
    'error: %j is not a hex quantity',
    (logIndex) => {
      expect(codeOf(() => parseLog({ ...raw, logIndex })).message).toContain('logIndex');
    },
  );
  it('default: quantities of up to 13 hex digits, either case', () => {
    expect(parseLog({ ...raw, logIndex: '0xfFfFfFfFfFfFf' }).logIndex).toBe(2 ** 52 - 1);
    expect(parseLog({ ...raw, logIndex: '0x0' }).logIndex).toBe(0);
  });
  it('default: an uppercase topic is lowercased, the raw answer left as it is', () => {
    const topics = [`0x${'A'.repeat(64)}`, `0x${'b'.repeat(64)}`];
    expect(parseLog({ ...raw, topics }).topics).toEqual([`0x${'a'.repeat(64)}`, `0x${'b'.repeat(64)}`]);
    expect(topics[0]).toBe(`0x${'A'.repeat(64)}`);
  });
});

describe('parseLogs', () => {
  it('behavior: logs of one block share its hash; a malformed one is still refused', () => {
    const logs = parseLogs([raw, { ...raw, logIndex: '0x6' }]);
    expect(logs[1]!.blockHash).toBe(logs[0]!.blockHash);
    expect(logs.map((l) => l.logIndex)).toEqual([5, 6]);
    const e = codeOf(() => parseLogs([raw, { ...raw, logIndex: '0x6', transactionHash: '0x12' }]));
    expect(e.message).toContain('transactionHash');
    const upper = codeOf(() => parseLogs([raw, { ...raw, blockHash: `0x${'Z'.repeat(64)}` }]));
    expect(upper.message).toContain('blockHash');
  });
});

describe('parseHeader', () => {
  it('error: a missing block names the block', () => {
    expect(codeOf(() => parseHeader(null, '42')).message).toContain('block 42');
  });
});

describe('checkLogs', () => {
  const a = parseLog(raw);
  const addresses = new Set([a.address]);
  it('default: accepts sorted logs of asked addresses', () => {
    expect(() =>
      checkLogs([a, { ...a, logIndex: 6 }], { fromBlock: 16, toBlock: 16 }, addresses),
    ).not.toThrow();
  });
  it.each([
    ['two hashes', [a, { ...a, logIndex: 6, blockHash: ('0x' + '9'.repeat(64)) as `0x${string}` }]],
    ['out of order', [a, { ...a }]],
    ['outside the range', [{ ...a, blockNumber: 99 }]],
    ['not asked for', [{ ...a, address: ('0x' + '0'.repeat(40)) as `0x${string}` }]],
  ])('error: %s is RPC_INCONSISTENT', (words, logs) => {
    const e = codeOf(() => checkLogs(logs, { fromBlock: 16, toBlock: 16 }, addresses));
    expect(e.code).toBe('RPC_INCONSISTENT');
    expect(e.message).toContain(words);
  });
  it('error: a log of another block than the one asked by hash', () => {
    const e = codeOf(() =>
      checkLogs([a], { fromBlock: 16, toBlock: 16 }, addresses, {
        number: 16,
        hash: ('0x' + '8'.repeat(64)) as `0x${string}`,
      }),
    );
    expect(e.message).toContain('but block 16 is');
  });
});
