import { TickstreamError } from '@tickstream/shared';
import { ConstantBackoff, ExponentialBackoff, handleWhen, noop, retry } from 'cockatiel';
import { Etcd3, isRecoverableError } from 'etcd3';

export interface ConnectOptions {
  /** Deadline of each unary call (default 2,000 ms): a frozen etcd must not hang a leader or the CLI. */
  readonly callTimeoutMs?: number;
  /** Attempts per call on a recoverable error, on the next host (default 3). */
  readonly attempts?: number;
}

/**
 * The hosts named by `ETCD_URL`: one URL, or several separated by commas (an etcd cluster).
 *
 * @example
 * etcdHosts('http://127.0.0.1:2379, http://127.0.0.1:22379'); // ['http://127.0.0.1:2379', 'http://127.0.0.1:22379']
 */
export function etcdHosts(url: string): string[] {
  return url
    .split(',')
    .map((s) => s.trim())
    .filter((s) => s !== '');
}

/**
 * An etcd client tuned for short leases: per-call deadlines, quick retries on another host, no
 * circuit breaker (etcd3's default opens for 5 s, longer than a 3 s lease) and watch reconnects
 * within a second.
 *
 * @example
 * const etcd = connectEtcd(cfg.ETCD_URL);
 * await etcd.get('/tickstream/31337/reorg/current').string();
 */
export function connectEtcd(url: string, opts: ConnectOptions = {}): Etcd3 {
  const callTimeoutMs = opts.callTimeoutMs ?? 2_000;
  return new Etcd3({
    hosts: etcdHosts(url),
    dialTimeout: callTimeoutMs,
    defaultCallOptions: (ctx) => (ctx.isStream ? {} : { deadline: Date.now() + callTimeoutMs }),
    faultHandling: {
      host: () => noop,
      global: retry(handleWhen(isRecoverableError), {
        maxAttempts: Math.max(0, (opts.attempts ?? 3) - 1),
        backoff: new ConstantBackoff(50),
      }),
      watchBackoff: new ExponentialBackoff({ initialDelay: 50, maxDelay: 1_000 }).next(),
    },
  });
}

/**
 * Throws COORDINATOR_UNAVAILABLE naming `ETCD_URL` when etcd does not answer within `timeoutMs`.
 *
 * @example
 * await assertEtcdReachable(etcd, cfg.ETCD_URL, 2_000);
 */
export async function assertEtcdReachable(etcd: Etcd3, url: string, timeoutMs: number): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`no answer within ${timeoutMs} ms`)), timeoutMs);
  });
  try {
    await Promise.race([
      etcd
        .get('/tickstream/')
        .options({ deadline: Date.now() + timeoutMs })
        .string(),
      timeout,
    ]);
  } catch (cause) {
    throw new TickstreamError(
      'COORDINATOR_UNAVAILABLE',
      `etcd is unreachable at ETCD_URL=${url} (${reasonOf(cause)}); is etcd running?`,
      { cause, retryable: true, details: { ETCD_URL: url } },
    );
  } finally {
    clearTimeout(timer);
  }
}

/** The useful part of a gRPC error: "connect ECONNREFUSED 127.0.0.1:2379" rather than three lines. */
function reasonOf(err: unknown): string {
  const message = err instanceof Error ? err.message : String(err);
  const last = /Last error: (?:Error: )?(.+?)(?:\. Resolution note|\.?$)/m.exec(message)?.[1];
  return (last ?? message.split('\n')[0] ?? message).trim();
}
