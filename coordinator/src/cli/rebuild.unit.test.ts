import { describe, expect, test } from 'vitest';
import { parseRebuildArgs, rebuildArgv } from './rebuild';
import { runCli } from './run';

describe('rebuild arguments', () => {
  test('defaults: all projections, swapped in, human output', () => {
    expect(parseRebuildArgs({})).toEqual({ projection: 'all', swap: true, json: false });
    expect(rebuildArgv({ projection: 'all', swap: true, json: false })).toEqual(['--projection', 'all']);
  });

  test('--projection, --no-swap and --json are passed on', () => {
    const args = parseRebuildArgs({ projection: 'tokens', 'no-swap': true, json: true });
    expect(args).toEqual({ projection: 'tokens', swap: false, json: true });
    expect(rebuildArgv(args as Exclude<typeof args, string>)).toEqual([
      '--projection',
      'tokens',
      '--no-swap',
      '--json',
    ]);
  });

  test('an unknown projection is named', () => {
    expect(parseRebuildArgs({ projection: 'ticks' })).toBe(
      '--projection must be one of all, pools, tokens, got "ticks"',
    );
  });

  test('the CLI refuses bad rebuild options with exit 2 before connecting anywhere', async () => {
    const errors: string[] = [];
    const io = { env: {}, out: () => undefined, err: (t: string) => errors.push(t) };
    expect(await runCli(['rebuild', '--projection', 'ticks'], io)).toBe(2);
    expect(errors[0]).toContain('--projection must be one of all, pools, tokens, got "ticks"');
    expect(await runCli(['status', '--no-swap'], io)).toBe(2);
    expect(errors[1]).toContain('--projection and --no-swap only go with rebuild');
  });
});
