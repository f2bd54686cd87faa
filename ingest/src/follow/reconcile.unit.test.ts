import type { Hex } from '@tickstream/shared';
import { describe, expect, it } from 'vitest';
import type { ChainHeader } from '../rpc';
import { reconcile } from './reconcile';

const hash = (n: number, fork = 0): Hex => `0x${(n * 16 + fork).toString(16).padStart(64, '0')}`;
const header = (n: number, fork = 0, parentFork = fork): ChainHeader => ({
  number: n,
  hash: hash(n, fork),
  parentHash: hash(n - 1, parentFork),
  timestamp: n,
});
const chain = (to: number) => new Map([...Array(to + 1).keys()].map((n) => [n, header(n)]));

describe('reconcile', () => {
  it('default: a child of the tip extends', () => {
    expect(reconcile(chain(5), header(6))).toEqual({ kind: 'extend' });
  });
  it('behavior: the same block again is a duplicate', () => {
    expect(reconcile(chain(5), header(5))).toEqual({ kind: 'duplicate' });
  });
  it('behavior: a block past a hole is a gap naming the missing parent', () => {
    expect(reconcile(chain(5), header(8))).toEqual({ kind: 'gap', missing: 7 });
  });
  it('behavior: a parent-hash mismatch is a reorg naming the block', () => {
    const r = reconcile(chain(5), header(6, 1, 1));
    expect(r).toEqual({ kind: 'reorg', block: 6, expectedParent: hash(5), gotParent: hash(5, 1) });
  });
  it('behavior: another block at a height we hold is a reorg', () => {
    expect(reconcile(chain(5), header(5, 1, 0)).kind).toBe('reorg');
  });
});
