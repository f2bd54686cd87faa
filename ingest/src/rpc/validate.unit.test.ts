import { isTickstreamError } from '@tickstream/shared';
import { describe, expect, it } from 'vitest';
import { checkLogs, parseHeader, parseLog } from './validate';

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
