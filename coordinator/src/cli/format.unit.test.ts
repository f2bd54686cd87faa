import { describe, expect, test } from 'vitest';
import { duration, table } from './format';

describe('table', () => {
  test('default: aligned columns, capital headers, no trailing spaces', () => {
    expect(
      table(
        ['kind', 'id', 'detail'],
        [
          ['ingest', 'i0', ''],
          ['projector', 'p10', 'x'],
        ],
      ),
    ).toBe(['KIND       ID   DETAIL', 'ingest     i0', 'projector  p10  x'].join('\n'));
  });
});

describe('duration', () => {
  test.each([
    [null, '-'],
    [850, '850ms'],
    [4_200, '4.2s'],
    [185_000, '3m05s'],
    [7_800_000, '2h10m'],
  ])('%s ms -> %s', (ms, text) => {
    expect(duration(ms)).toBe(text);
  });
});
