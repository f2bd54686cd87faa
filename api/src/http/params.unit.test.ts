import { isTickstreamError } from '@tickstream/shared';
import { describe, expect, it } from 'vitest';
import { decodeCursor, encodeCursor } from './cursor';
import { parseAddress, parseBlockNumber, parseEventType, parseLimit, parseTokenId } from './params';

function messageOf(fn: () => unknown): string {
  try {
    fn();
  } catch (err) {
    expect(isTickstreamError(err, 'BAD_REQUEST')).toBe(true);
    return (err as Error).message;
  }
  throw new Error('expected BAD_REQUEST');
}

describe('parseAddress', () => {
  it('default: lowercases', () => {
    expect(parseAddress('address', `0x${'AbCd'.repeat(10)}`)).toBe(`0x${'abcd'.repeat(10)}`);
  });
  it.each(['0x123', 'xyz', `0x${'a'.repeat(41)}`, `0x${'g'.repeat(40)}`, 'a'.repeat(42), ''])(
    'error: %s',
    (raw) => {
      expect(messageOf(() => parseAddress('address', raw))).toBe(
        `address: expected 0x followed by 40 hex digits, got '${raw}'`,
      );
    },
  );
});

describe('parseBlockNumber', () => {
  it('default: absent is undefined, digits are a number', () => {
    expect(parseBlockNumber('block', undefined)).toBeUndefined();
    expect(parseBlockNumber('block', '0')).toBe(0);
    expect(parseBlockNumber('block', '007')).toBe(7);
    expect(parseBlockNumber('block', String(Number.MAX_SAFE_INTEGER))).toBe(Number.MAX_SAFE_INTEGER);
  });
  it.each(['abc', '-1', '1.5', '', ' 1', '1e3', '0x10'])('error: %j', (raw) => {
    expect(messageOf(() => parseBlockNumber('block', raw))).toBe(
      `block: expected a non-negative whole number, got '${raw}'`,
    );
  });
  it('error: above the safe integers', () => {
    expect(messageOf(() => parseBlockNumber('toBlock', '99999999999999999999'))).toBe(
      `toBlock: expected a block number at most 9007199254740991, got '99999999999999999999'`,
    );
  });
  it('behavior: quotes a long value cut short', () => {
    expect(messageOf(() => parseBlockNumber('block', 'x'.repeat(500)))).toBe(
      `block: expected a non-negative whole number, got '${'x'.repeat(80)}…'`,
    );
  });
});

describe('parseLimit', () => {
  it('default: 100, bounds 1 and 1000', () => {
    expect(parseLimit(undefined)).toBe(100);
    expect(parseLimit('1')).toBe(1);
    expect(parseLimit('1000')).toBe(1000);
  });
  it.each(['0', '1001', '100000', '-5', 'ten', '2.5', ''])('error: %j', (raw) => {
    expect(messageOf(() => parseLimit(raw))).toBe(
      `limit: expected a whole number from 1 to 1000, got '${raw}'`,
    );
  });
});

describe('parseTokenId', () => {
  it('default: strips leading zeros, accepts the largest uint256', () => {
    expect(parseTokenId('0042')).toBe('42');
    const max = ((1n << 256n) - 1n).toString();
    expect(parseTokenId(max)).toBe(max);
  });
  it.each(['abc', '-1', '1.0', (1n << 256n).toString(), ''])('error: %j', (raw) => {
    expect(messageOf(() => parseTokenId(raw))).toContain(`tokenId: expected a decimal uint256, got '`);
  });
});

describe('parseEventType', () => {
  it('default: one of the names', () => {
    expect(parseEventType('Swap')).toBe('Swap');
    expect(parseEventType(undefined)).toBeUndefined();
  });
  it('error: lists the names', () => {
    expect(messageOf(() => parseEventType('swap'))).toMatch(
      /^type: expected one of Initialize, Mint, .*, got 'swap'$/,
    );
  });
});

describe('cursor', () => {
  const check = (o: Record<string, unknown>) => (typeof o.after === 'string' ? o.after : undefined);
  it('default: round trip', () => {
    expect(decodeCursor('pools', encodeCursor('pools', { after: '0xab' }), check)).toBe('0xab');
    expect(decodeCursor('pools', undefined, check)).toBeUndefined();
  });
  it.each([
    ['not base64url', 'abc$%'],
    ['not JSON', 'bm9wZQ'],
    ['a JSON array', Buffer.from('[1]').toString('base64url')],
    ['another list', encodeCursor('events', { after: '0xab' })],
    ['a wrong shape', encodeCursor('pools', { after: 5 })],
    ['empty', ''],
  ])('error: %s', (_, raw) => {
    expect(messageOf(() => decodeCursor('pools', raw, check))).toMatch(
      /^cursor: not a cursor of this list, got '/,
    );
  });
});
