import { describe, expect, it } from 'vitest';
import { MAX_INT256, MAX_UINT160, MAX_UINT256, MIN_INT128, MIN_INT256 } from './constants';
import { addInt256, addUint256, mulUint256, subInt256, subUint256 } from './low-gas-safe-math';
import { toInt128, toInt256, toUint160 } from './safe-cast';

describe('LowGasSafeMath', () => {
  it('uint256: in range', () => {
    expect(addUint256(MAX_UINT256 - 1n, 1n)).toBe(MAX_UINT256);
    expect(subUint256(5n, 5n)).toBe(0n);
    expect(mulUint256(2n ** 128n - 1n, 2n ** 128n + 1n)).toBe(MAX_UINT256);
  });

  it('error: uint256 overflow and underflow', () => {
    expect(() => addUint256(MAX_UINT256, 1n)).toThrow(/overflows/);
    expect(() => subUint256(1n, 2n)).toThrow(/underflows/);
    expect(() => mulUint256(2n ** 128n, 2n ** 128n)).toThrow(/overflows/);
  });

  it('int256: in range and overflow', () => {
    expect(addInt256(-5n, 3n)).toBe(-2n);
    expect(subInt256(MIN_INT256 + 1n, 1n)).toBe(MIN_INT256);
    expect(() => addInt256(MAX_INT256, 1n)).toThrow(/overflows/);
    expect(() => subInt256(MIN_INT256, 1n)).toThrow(/overflows/);
  });
});

describe('SafeCast', () => {
  it('passes values that fit and throws on those that do not', () => {
    expect(toUint160(MAX_UINT160)).toBe(MAX_UINT160);
    expect(() => toUint160(MAX_UINT160 + 1n)).toThrow(/uint160/);
    expect(toInt128(MIN_INT128)).toBe(MIN_INT128);
    expect(() => toInt128(-MIN_INT128)).toThrow(/int128/);
    expect(toInt256(MAX_INT256)).toBe(MAX_INT256);
    expect(() => toInt256(MAX_INT256 + 1n)).toThrow(/int256/);
  });
});
