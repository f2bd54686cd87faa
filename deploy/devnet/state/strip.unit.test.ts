import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { stripTraces } from './strip';

const dir = await mkdtemp(join(tmpdir(), 'strip-'));
afterAll(() => rm(dir, { recursive: true, force: true }));

const dump = {
  block: { number: '0x2' },
  transactions: [
    {
      info: {
        transaction_hash: '0x01',
        traces: [
          { trace: { data: '0xab', decoded: 'f(uint256[]) "quoted ] [" \\ end' }, children: [[1, [2]]] },
        ],
        exit: 'Stop',
      },
      receipt: { logs: [{ topics: ['0x0a'], data: '0x' }] },
    },
    { info: { transaction_hash: '0x02', traces: [], exit: 'Revert' }, receipt: { logs: [] } },
  ],
};

describe('stripTraces', () => {
  for (const chunk of [1, 3, 7, 1 << 16]) {
    it(`default: empties every traces array and keeps the rest (chunks of ${chunk} bytes)`, async () => {
      const input = join(dir, `in-${chunk}.json`);
      const output = join(dir, `out-${chunk}.json`);
      await writeFile(input, JSON.stringify(dump));
      await stripTraces(input, output, chunk);
      const stripped = JSON.parse(await readFile(output, 'utf8')) as typeof dump;
      expect(stripped.transactions.map((t) => t.info.traces)).toEqual([[], []]);
      expect(stripped.transactions.map((t) => t.receipt)).toEqual(dump.transactions.map((t) => t.receipt));
      expect(stripped.transactions[0]?.info.exit).toBe('Stop');
      expect(stripped.block).toEqual(dump.block);
    });
  }
});
