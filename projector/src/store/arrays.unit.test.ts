import { describe, expect, it } from 'vitest';
import { column, plainArray } from './arrays';

describe('plainArray', () => {
  it('default: numbers, bigints, hex and NULL', () => {
    expect(plainArray([1, -2n, '0xab', null, (1n << 255n).toString()])).toBe(
      `{1,-2,0xab,NULL,${1n << 255n}}`,
    );
    expect(plainArray([])).toBe('{}');
  });

  it('behavior: column picks one field per row', () => {
    expect(column([{ a: 1 }, { a: 2 }], (r) => r.a)).toEqual([1, 2]);
  });
});
