import { describeError, isRetryable, type Logger } from '@tickstream/shared';

export interface RetryOptions {
  readonly retries: number;
  readonly baseMs?: number;
  readonly maxMs?: number;
  /** A stop: the wait between attempts ends on it, and a call failing after it is not retried. */
  readonly signal?: AbortSignal | undefined;
  /** Narrows what is retried: a retryable error for which this returns false is thrown at once. */
  readonly retryIf?: (err: unknown) => boolean;
}

/**
 * Runs `fn` until it succeeds, retrying retryable failures with exponential backoff and full jitter.
 * Non-retryable errors and the last failure are thrown as they are.
 *
 * @example const logs = await withRetry(log, 'eth_getLogs 1..100', { retries: 8 }, () => getLogs(client, f));
 */
export async function withRetry<T>(
  log: Logger,
  what: string,
  opts: RetryOptions,
  fn: () => Promise<T>,
): Promise<T> {
  const base = opts.baseMs ?? 100;
  const max = opts.maxMs ?? 5_000;
  for (let attempt = 0; ; attempt++) {
    try {
      return await fn();
    } catch (err) {
      if (attempt >= opts.retries || !isRetryable(err) || opts.signal?.aborted) throw err;
      if (opts.retryIf !== undefined && !opts.retryIf(err)) throw err;
      const delay = Math.round(Math.random() * Math.min(max, base * 2 ** attempt));
      log.warn(
        { what, attempt: attempt + 1, delayMs: delay, err: describeError(err) },
        'rpc call failed, retrying',
      );
      await abortableDelay(delay, opts.signal);
    }
  }
}

/** Waits `ms`, or less when `signal` aborts; the abort listener goes with the wait (the signal lives long). */
function abortableDelay(ms: number, signal: AbortSignal | undefined): Promise<void> {
  return new Promise((resolve) => {
    const onAbort = () => {
      clearTimeout(t);
      resolve();
    };
    const t = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}
