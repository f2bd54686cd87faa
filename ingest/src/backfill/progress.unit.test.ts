import { createLogger } from '@tickstream/shared';
import { describe, expect, it } from 'vitest';
import { formatDuration, metricLines, Progress, progressLine } from './progress';

const figures = {
  fromBlock: 1,
  toBlock: 1_000,
  blocksDone: 250,
  blocksTotal: 1_000,
  percent: 25,
  logs: 12_345,
  logsPerSec: 4_321,
  seconds: 3,
  etaSec: 95,
};

describe('progress', () => {
  it('default: one line with the bar, blocks, logs/s and ETA, within the width', () => {
    const line = progressLine(figures, 100);
    expect(line).toMatch(/^\[#+-+\] 25\.0% blocks 250\/1000 · 12345 logs · 4321 logs\/s · ETA 1m35s$/);
    expect(line.length).toBeLessThanOrEqual(100);
    expect(progressLine(figures, 40).length).toBeLessThanOrEqual(40);
  });
  it('behavior: durations read as h/m/s', () => {
    expect([formatDuration(5), formatDuration(125), formatDuration(3_725), formatDuration(null)]).toEqual([
      '5s',
      '2m05s',
      '1h02m',
      '?',
    ]);
  });
  it('behavior: a summary reads as metric lines, nested objects as labels', () => {
    expect(
      metricLines({
        logsPerSec: 10,
        rangeBlocks: { last: 25 },
        rpc: { '#0 host': { requests: 3 } },
        note: 'x',
      }),
    ).toEqual([
      'backfill_logs_per_sec 10',
      'backfill_range_blocks_last 25',
      'backfill_rpc_requests{name="#0 host"} 3',
    ]);
  });
  it('behavior: on a terminal the bar is redrawn in place and the end prints metrics', () => {
    let out = '';
    let now = 0;
    const log = createLogger('test', 'silent');
    const p = new Progress(log, 1, 100, 2_000, {
      terminal: {
        columns: 80,
        write: (s) => {
          out += s;
          return true;
        },
      },
      now: () => now,
    });
    now = 1_000;
    p.add(50, 500);
    now = 1_050; // too soon to redraw
    p.add(10, 100);
    expect(out.split('\r\x1b[2K')).toHaveLength(2);
    now = 2_000;
    p.add(40, 0);
    p.done({ ranges: 3 });
    expect(out).toContain('100.0% blocks 100/100');
    expect(out).toContain('\nbackfill_ranges 3');
  });
});
