import { describe, expect, it } from 'vitest';
import { staticWatchRequests } from './watch';

const A = '0x1F98431c8aD98523631AE4a59f267346ea31F984';
const B = '0x00000000000000000000000000000000000000aa';

describe('staticWatchRequests', () => {
  it('default: nothing', () => {
    expect(staticWatchRequests('')).toEqual([]);
  });
  it('args: kind and fromBlock', () => {
    expect(staticWatchRequests(`${A}:factory@120,${B}`)).toEqual([
      { address: A.toLowerCase(), kind: 'factory', fromBlock: 120, addedAt: 'WATCH_ADDRESSES' },
      { address: B, kind: 'pool', fromBlock: null, addedAt: 'WATCH_ADDRESSES' },
    ]);
  });
});
