import { describe, expect, it } from 'vitest';
import type { EventRow } from '../apply';
import { eventLine } from './copy-rows';

const row = (args: string): EventRow => ({
  address: '0xaa',
  blockNumber: 7,
  blockHash: '0xbb',
  txIndex: 1,
  logIndex: 2,
  txHash: '0xcc',
  type: 'Swap',
  args,
});

describe('eventLine', () => {
  it('default: compact JSON args go as they are, status last', () => {
    expect(eventLine(31337, '0', row('{"amount0":"-5","tick":3}'), 'confirmed')).toBe(
      '31337\t0\t0xaa\t7\t0xbb\t1\t2\t0xcc\tSwap\t{"amount0":"-5","tick":3}\tconfirmed\n',
    );
  });

  it('behavior: a backslash in the args (a JSON escape) is doubled for COPY', () => {
    const line = eventLine(31337, '0', row('{"memo":"a\\tb"}'), 'unconfirmed');
    expect(line.split('\t')[9]).toBe('{"memo":"a\\\\tb"}');
  });
});
