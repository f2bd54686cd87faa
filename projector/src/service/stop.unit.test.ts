import { createLogger, loadConfig } from '@tickstream/shared';
import { describe, expect, it } from 'vitest';
import { type LedgerLink, runFeed } from '../consume';
import type { ProjectorDeps } from './deps';
import { PartitionRunner } from './partition';
import { RunnerSet } from './runners';

/** A promise and the function that resolves it. */
function latch(): { promise: Promise<void>; open: () => void } {
  let open!: () => void;
  const promise = new Promise<void>((r) => {
    open = r;
  });
  return { promise, open };
}

/** A ledger link whose consumer never delivers (a partition at the head). */
function idleLink(): LedgerLink {
  return {
    subscribe: () => undefined,
    reply: () => '',
    publish: () => undefined,
    flush: async () => undefined,
    request: async () => expect.unreachable('no API request') as never,
    onBatch: null,
    onError: null,
    pause: () => undefined,
    resume: () => undefined,
    close: async () => undefined,
  };
}

/**
 * Deps for one runner: Postgres answers every query with no rows once `pgGate` opens (an empty
 * partition), NATS has an idle consumer; `events` records what was reached.
 */
function fakeDeps(pgGate: Promise<void>, events: string[]): ProjectorDeps {
  const client = {
    query: async () => ({ rows: [] }),
    release: () => undefined,
  };
  return {
    pg: {
      connect: async () => {
        events.push('pg.connect');
        await pgGate;
        return client;
      },
      query: async () => ({ rows: [] }),
    },
    redis: undefined,
    jsm: {
      consumers: {
        delete: async () => true,
        info: async () => {
          throw new Error('consumer not found');
        },
        add: async () => ({}),
      },
    },
    js: {},
    openLink: async () => {
      events.push('feed');
      return idleLink();
    },
    log: createLogger('stop-test', 'silent'),
    cfg: loadConfig('projector', { CONTROL_PLANE: 'none' }),
  } as unknown as ProjectorDeps;
}

async function until(check: () => boolean): Promise<void> {
  while (!check()) await new Promise((r) => setImmediate(r));
}

describe('stopping a runner', () => {
  it('behavior: stopped while loading (lease stale), the lease fresh again before it goes on: it stops, no feed', async () => {
    const pg = latch();
    const events: string[] = [];
    let fresh = true;
    const set = new RunnerSet(fakeDeps(pg.promise, events), {
      mayWrite: () => fresh,
      onFatal: (err) => expect.unreachable(String(err)),
    });
    await set.start(1);
    await until(() => events.includes('pg.connect'));
    // The lease turns stale: the assigner stops every runner while this one waits on Postgres.
    fresh = false;
    const stopped = set.stopAll();
    // The lease is fresh again before Postgres answers (a loaded host, a short etcd freeze).
    fresh = true;
    pg.open();
    await stopped; // before the fix: a feed no stop could reach, and this never resolved
    expect(set.partitions()).toEqual([]);
    expect(events).not.toContain('feed');
  });

  it('behavior: a runner stopped in its retry delay stops at once, never as a fatal error', async () => {
    const events: string[] = [];
    const deps = fakeDeps(Promise.resolve(), events);
    let fails = 0;
    (deps as { pg: unknown }).pg = {
      connect: async () => {
        fails++;
        throw new Error('connection refused');
      },
    };
    const runner = new PartitionRunner(deps, 2, undefined, () => true);
    const stop = new AbortController();
    const running = runner.run(stop.signal);
    await until(() => fails >= 3); // in its third delay (800 ms)
    const t0 = performance.now();
    stop.abort();
    await running;
    expect(performance.now() - t0).toBeLessThan(100);
  });

  it('behavior: failures while the lease is stale stop the runner, they never count toward a fatal error', async () => {
    const events: string[] = [];
    const deps = fakeDeps(Promise.resolve(), events);
    (deps as { pg: unknown }).pg = {
      connect: async () => {
        throw new Error('connection refused');
      },
    };
    const runner = new PartitionRunner(deps, 2, undefined, () => false);
    await expect(runner.run(new AbortController().signal)).resolves.toBeUndefined();
  });

  it('behavior: a feed aborted before it starts ends at once, and one aborted while it waits ends too', async () => {
    const idleFeed = (signal: AbortSignal) =>
      runFeed(
        idleLink(),
        { stream: 's', subject: 's.1', durable: 'd' },
        { afterSeq: 0, maxBatchEntries: 10 },
        createLogger('stop-test', 'silent'),
        async () => expect.unreachable('no batch'),
        signal,
      );
    const stop = new AbortController();
    stop.abort();
    await idleFeed(stop.signal);
    const later = new AbortController();
    const running = idleFeed(later.signal);
    await new Promise((r) => setImmediate(r));
    later.abort();
    await running;
  });

  it('behavior: parking a runner that already stopped resolves at once', async () => {
    const set = new RunnerSet(fakeDeps(Promise.resolve(), []), { onFatal: () => undefined });
    set.parked = true;
    await set.start(3);
    const runner = set.runners[0]!;
    await set.stop(3);
    await runner.park(); // before the fix: waited forever for a loop that had ended
  });
});
