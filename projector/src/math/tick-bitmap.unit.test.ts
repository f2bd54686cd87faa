import { beforeEach, describe, expect, it } from 'vitest';
import { flipTick, nextInitializedTickWithinOneWord, position, type TickBitmap } from './tick-bitmap';

function isInitialized(bitmap: TickBitmap, tick: number): boolean {
  const found = nextInitializedTickWithinOneWord(bitmap, tick, 1, true);
  return found.next === tick && found.initialized;
}

describe('position', () => {
  it('splits a compressed tick into word and bit, flooring negatives', () => {
    expect(position(0)).toEqual({ wordPos: 0, bitPos: 0 });
    expect(position(255)).toEqual({ wordPos: 0, bitPos: 255 });
    expect(position(256)).toEqual({ wordPos: 1, bitPos: 0 });
    expect(position(-1)).toEqual({ wordPos: -1, bitPos: 255 });
    expect(position(-256)).toEqual({ wordPos: -1, bitPos: 0 });
    expect(position(-257)).toEqual({ wordPos: -2, bitPos: 255 });
  });
});

describe('flipTick', () => {
  it('flips only the given tick and back, deleting the word when it is zero again', () => {
    const bitmap: TickBitmap = new Map();
    flipTick(bitmap, -230, 1);
    expect(isInitialized(bitmap, -230)).toBe(true);
    expect(isInitialized(bitmap, -231)).toBe(false);
    expect(isInitialized(bitmap, -229)).toBe(false);
    expect(isInitialized(bitmap, -230 + 256)).toBe(false);
    flipTick(bitmap, -230, 1);
    expect(isInitialized(bitmap, -230)).toBe(false);
    expect(bitmap.size).toBe(0);
  });

  it('compresses by the tick spacing and returns the word it changed', () => {
    const bitmap: TickBitmap = new Map();
    expect(flipTick(bitmap, -60, 60)).toBe(-1);
    expect(bitmap.get(-1)).toBe(1n << 255n);
    expect(flipTick(bitmap, 15360, 60)).toBe(1);
    expect(bitmap.get(1)).toBe(1n);
  });

  it('error: a tick that is not a multiple of the spacing', () => {
    expect(() => flipTick(new Map(), 61, 60)).toThrow(/multiple of the tick spacing/);
  });
});

describe('nextInitializedTickWithinOneWord', () => {
  // the layout of v3-core's TickBitmap spec, spacing 1
  let bitmap: TickBitmap;
  beforeEach(() => {
    bitmap = new Map();
    for (const tick of [-200, -55, -4, 70, 78, 84, 139, 240, 535]) flipTick(bitmap, tick, 1);
  });
  const next = (tick: number, lte: boolean) => nextInitializedTickWithinOneWord(bitmap, tick, 1, lte);

  describe('lte = false (to the right)', () => {
    it('from an initialized tick: the next one', () => {
      expect(next(78, false)).toEqual({ next: 84, initialized: true });
      expect(next(-55, false)).toEqual({ next: -4, initialized: true });
    });

    it('the tick directly to the right', () => {
      expect(next(77, false)).toEqual({ next: 78, initialized: true });
      expect(next(-56, false)).toEqual({ next: -55, initialized: true });
    });

    it('on the right boundary of a word: searches the next word', () => {
      expect(next(255, false)).toEqual({ next: 511, initialized: false });
      expect(next(-257, false)).toEqual({ next: -200, initialized: true });
    });

    it('an initialized tick of the next word', () => {
      flipTick(bitmap, 340, 1);
      expect(next(328, false)).toEqual({ next: 340, initialized: true });
    });

    it('does not go past the word', () => {
      expect(next(508, false)).toEqual({ next: 511, initialized: false });
      expect(next(383, false)).toEqual({ next: 511, initialized: false });
    });
  });

  describe('lte = true (at or to the left)', () => {
    it('at an initialized tick: that tick', () => {
      expect(next(78, true)).toEqual({ next: 78, initialized: true });
    });

    it('right of an initialized tick: that tick', () => {
      expect(next(79, true)).toEqual({ next: 78, initialized: true });
      expect(next(72, true)).toEqual({ next: 70, initialized: true });
    });

    it('does not go past the word', () => {
      expect(next(258, true)).toEqual({ next: 256, initialized: false });
      expect(next(256, true)).toEqual({ next: 256, initialized: false });
      expect(next(-257, true)).toEqual({ next: -512, initialized: false });
      expect(next(1023, true)).toEqual({ next: 768, initialized: false });
      expect(next(900, true)).toEqual({ next: 768, initialized: false });
    });

    it('an initialized tick of the same word, far left', () => {
      flipTick(bitmap, 329, 1);
      expect(next(456, true)).toEqual({ next: 329, initialized: true });
    });
  });

  it('with a spacing: negative ticks round towards negative infinity', () => {
    const spaced: TickBitmap = new Map();
    for (const tick of [-120, -60, 60]) flipTick(spaced, tick, 60);
    expect(nextInitializedTickWithinOneWord(spaced, -1, 60, true)).toEqual({ next: -60, initialized: true });
    expect(nextInitializedTickWithinOneWord(spaced, -61, 60, true)).toEqual({
      next: -120,
      initialized: true,
    });
    expect(nextInitializedTickWithinOneWord(spaced, -60, 60, false)).toEqual({ next: 60, initialized: true });
    expect(nextInitializedTickWithinOneWord(spaced, 59, 60, true)).toEqual({ next: 0, initialized: false });
  });
});
