import { createLogger, loadConfig } from '@tickstream/shared';
import { describe, expect, it } from 'vitest';
import type { ProjectorDeps } from './deps';
import { RunnerSet } from './runners';

/** Deps whose clients are never reached: a parked runner does no I/O before its gate opens. */
function deps(): ProjectorDeps {
  const unused = new Proxy(
    {},
    {
      get: () => {
        throw new Error('a parked runner touched a client');
      },
    },
  );
  return {
    pg: unused,
    redis: undefined,
    js: unused,
    jsm: unused,
    log: createLogger('runners-test', 'silent'),
    cfg: loadConfig('projector', { CONTROL_PLANE: 'none' }),
  } as unknown as ProjectorDeps;
}

async function until(check: () => boolean): Promise<void> {
  while (!check()) await new Promise((r) => setImmediate(r));
}

describe('RunnerSet', () => {
  it('behavior: a runner started while the partitions are parked starts parked, and stops cleanly', async () => {
    const set = new RunnerSet(deps(), { onFatal: (err) => expect.unreachable(String(err)) });
    set.parked = true;
    await set.start(2);
    await set.start(2); // once
    expect(set.partitions()).toEqual([2]);
    const runner = set.runners[0]!;
    await until(() => runner.gate.parked);
    await set.stop(2);
    expect(set.partitions()).toEqual([]);
  });

  it('behavior: exclusive steps run one at a time, starts and stops wait for them', async () => {
    const set = new RunnerSet(deps(), { onFatal: (err) => expect.unreachable(String(err)) });
    set.parked = true;
    const order: string[] = [];
    let release!: () => void;
    const step = set.exclusive(async () => {
      order.push('step begins');
      await new Promise<void>((r) => {
        release = r;
      });
      order.push('step ends');
    });
    const started = set.start('tokens').then(() => order.push('started'));
    await until(() => release !== undefined);
    expect(set.partitions()).toEqual([]);
    release();
    await Promise.all([step, started]);
    expect(order).toEqual(['step begins', 'step ends', 'started']);
    await set.stopAll();
    expect(set.partitions()).toEqual([]);
  });

  it('behavior: mayWrite defaults to true and follows the option', () => {
    expect(new RunnerSet(deps(), { onFatal: () => undefined }).mayWrite()).toBe(true);
    expect(new RunnerSet(deps(), { onFatal: () => undefined, mayWrite: () => false }).mayWrite()).toBe(false);
  });
});
