import { getEventListeners } from 'node:events';
import { createLogger, TickstreamError } from '@tickstream/shared';
import { describe, expect, it } from 'vitest';
import { withRetry } from './retry';

const log = createLogger('retry-test', 'silent');

describe('withRetry', () => {
  it('behavior: the waits between attempts leave no abort listener on the (long-lived) stop signal', async () => {
    const stop = new AbortController();
    let calls = 0;
    const got = await withRetry(
      log,
      'flaky',
      { retries: 20, baseMs: 1, maxMs: 1, signal: stop.signal },
      async () => {
        if (++calls < 15) throw new TickstreamError('RPC_ERROR', 'flaky', { retryable: true });
        return 'ok';
      },
    );
    expect(got).toBe('ok');
    expect(calls).toBe(15);
    expect(getEventListeners(stop.signal, 'abort')).toHaveLength(0); // before: one left per wait
  });
});
