import { describe, expect, it } from 'vitest';
import { column, plainArray, plainColumn } from './arrays';

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

  it('behavior: plainColumn is plainArray of column', () => {
    const rows = [{ a: 1n << 200n }, { a: null }, { a: -3 }];
    expect(plainColumn(rows, (r) => r.a)).toBe(plainArray(column(rows, (r) => r.a)));
    expect(plainColumn([], () => 1)).toBe('{}');
  });
});
