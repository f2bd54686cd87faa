import { createLogger, TickstreamError } from '@tickstream/shared';
import { describe, expect, it } from 'vitest';
import { batchState, cutsBatch, runFeed } from './feed';
import type { LedgerLink, StatusHandler } from './link';

describe('cutsBatch', () => {
  it('default: near the head, the first block of a new window ends the batch', () => {
    expect(cutsBatch(63, 64, 32, 0, 100)).toBe(true);
    expect(cutsBatch(60, 70, 32, 0, 100)).toBe(true);
    expect(cutsBatch(64, 65, 32, 0, 100)).toBe(false);
  });

  it('behavior: far behind (more pending than the limit) or without a previous block, it does not', () => {
    expect(cutsBatch(63, 64, 32, 101, 100)).toBe(false);
    expect(cutsBatch(null, 64, 32, 0, 100)).toBe(false);
  });
});

describe('batchState', () => {
  const b = { units: 2, entries: 30, pending: 5, max: 100, cut: false, lastDeep: false };

  it('default: more on its way waits; nothing more after a block at the head hands over now', () => {
    expect(batchState(b)).toBe('wait');
    expect(batchState({ ...b, pending: 0 })).toBe('now');
  });

  it('behavior: nothing more after a backfilled block holds; full or cut hands over now, even when deep', () => {
    expect(batchState({ ...b, pending: 0, lastDeep: true })).toBe('hold');
    expect(batchState({ ...b, pending: 0, lastDeep: true, entries: 100 })).toBe('now');
    expect(batchState({ ...b, pending: 3, lastDeep: true, cut: true })).toBe('now');
    expect(batchState({ ...b, pending: 3, entries: 100 })).toBe('now');
  });

  it('edge: no whole unit yet waits, whatever else holds', () => {
    expect(batchState({ ...b, units: 0, pending: 0, entries: 100, cut: true })).toBe('wait');
  });
});

/** A link whose server takes pull requests and answers none of them (the test may send statuses). */
function silentLink() {
  const pulls: string[] = [];
  let status: StatusHandler | undefined;
  const link: LedgerLink = {
    subscribe: (_subject, _handler, onStatus) => {
      status = onStatus;
    },
    reply: () => '$JS.ACK.S.d.1.1.1.0.0',
    publish: (subject) => {
      if (subject.startsWith('$JS.API.CONSUMER.MSG.NEXT.')) pulls.push(subject);
    },
    flush: async () => undefined,
    request: async () => ({}) as never,
    onBatch: null,
    onError: null,
    pause: () => undefined,
    resume: () => undefined,
    close: async () => undefined,
  };
  return { link, pulls, status: () => status! };
}

describe('runFeed, pull requests that get no end', () => {
  const target = { stream: 'S', subject: 's.p0', durable: 'd' };
  const log = createLogger('feed-test', 'silent');

  it('behavior: a request that neither ends nor delivers is pulled again; the second unanswered one fails the feed', async () => {
    const fake = silentLink();
    const t0 = performance.now();
    const err = await runFeed(
      fake.link,
      target,
      { afterSeq: 0, maxBatchEntries: 10, pullExpiresMs: 100 },
      log,
      async () => expect.unreachable('no batch'),
      new AbortController().signal,
    ).then(
      () => expect.unreachable('the feed went on'),
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(TickstreamError);
    expect((err as TickstreamError).retryable).toBe(true);
    expect((err as Error).message).toBe('consumer d: no answer to 2 pull requests');
    expect(fake.pulls).toEqual(['$JS.API.CONSUMER.MSG.NEXT.S.d', '$JS.API.CONSUMER.MSG.NEXT.S.d']);
    expect(performance.now() - t0).toBeGreaterThanOrEqual(2 * 100);
  });

  it('behavior: a heartbeat in between keeps the feed going; a 408 ends a request at once', async () => {
    const fake = silentLink();
    const stop = new AbortController();
    const running = runFeed(
      fake.link,
      target,
      { afterSeq: 0, maxBatchEntries: 10, pullExpiresMs: 100 },
      log,
      async () => expect.unreachable('no batch'),
      stop.signal,
    );
    const beat = setInterval(() => fake.status()(100, 'Idle Heartbeat'), 20);
    await expect.poll(() => fake.pulls.length, { timeout: 3_000 }).toBeGreaterThanOrEqual(4);
    clearInterval(beat);
    const before = fake.pulls.length;
    fake.status()(408, 'Request Timeout');
    expect(fake.pulls.length).toBe(before + 1);
    stop.abort();
    await running;
  });

  it('error: once the partition may have another owner (mayPull false), no pull request goes out and the feed fails', async () => {
    const fake = silentLink();
    let owner = true;
    const running = runFeed(
      fake.link,
      target,
      { afterSeq: 0, maxBatchEntries: 10, pullExpiresMs: 100, mayPull: () => owner },
      log,
      async () => expect.unreachable('no batch'),
      new AbortController().signal,
    );
    expect(fake.pulls.length).toBe(1);
    owner = false; // e.g. woken from SIGSTOP past the lease: the successor reads this consumer now
    fake.status()(408, 'Request Timeout');
    const err = await running.then(
      () => expect.unreachable('the feed went on'),
      (e: unknown) => e,
    );
    expect((err as Error).message).toBe('consumer d: the partition may have another owner');
    expect((err as TickstreamError).retryable).toBe(true);
    expect(fake.pulls.length).toBe(1);
  });
});
