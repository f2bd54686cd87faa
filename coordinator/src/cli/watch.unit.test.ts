import { describe, expect, it } from 'vitest';
import { parseWatchArgs } from './watch';

const A = '0x1F98431c8aD98523631AE4a59f267346ea31F984';

describe('parseWatchArgs', () => {
  it('default: add takes a pool from START_BLOCK', () => {
    expect(parseWatchArgs(['add', A], {})).toEqual({
      sub: 'add',
      args: { address: A.toLowerCase(), kind: 'pool', fromBlock: null },
    });
  });
  it('args: --from and --kind', () => {
    expect(parseWatchArgs(['add', A], { from: '120', kind: 'factory' })).toEqual({
      sub: 'add',
      args: { address: A.toLowerCase(), kind: 'factory', fromBlock: 120 },
    });
  });
  it('args: list and remove', () => {
    expect(parseWatchArgs(['list'], {})).toEqual({ sub: 'list' });
    expect(parseWatchArgs(['remove', A], {})).toEqual({ sub: 'remove', address: A.toLowerCase() });
  });
  it.each([
    [[], {}, 'sub-command'],
    [['watch'], {}, 'unknown watch sub-command'],
    [['add'], {}, '<address>'],
    [['add', '0x12'], {}, '<address> must be 0x and 40 hex digits'],
    [['add', A], { from: '-1' }, '--from must be a whole number'],
    [['add', A], { from: '1.5' }, '--from'],
    [['add', A], { kind: 'token' }, '--kind must be one of pool, factory'],
    [['add', A, 'extra'], {}, 'unexpected argument "extra"'],
    [['list'], { from: '3' }, '--from and --kind only go with watch add'],
    [['remove', A], { kind: 'pool' }, '--from and --kind only go with watch add'],
  ] as const)('error: %j %j names the argument', (rest, opts, message) => {
    const r = parseWatchArgs(rest, opts);
    expect(typeof r).toBe('string');
    expect(r).toContain(message);
  });
});
