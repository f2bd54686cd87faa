import { createServer, Socket } from 'node:net';
import { isTickstreamError, TickstreamError } from '@tickstream/shared/errors';

export interface WaitForOptions {
  /** Give up after this long. */
  readonly timeoutMs: number;
  /** What we are waiting for, named in the error on timeout ("etcd member a healthy on 127.0.0.1:2379"). */
  readonly what: string;
  /** First delay between two polls (default 10 ms); it grows by half each poll up to `maxIntervalMs`. */
  readonly intervalMs?: number;
  /** Longest delay between two polls (default 250 ms). */
  readonly maxIntervalMs?: number;
}

/**
 * Polls `predicate` with a small growing backoff until it returns a truthy value, and returns that value.
 * A predicate that throws counts as "not yet" (a refused connection, a 503), except when it throws a
 * `TickstreamError`: that one means "stop waiting" and is rethrown at once (e.g. the server process died).
 * On timeout, throws `STACK_ERROR` naming `what`, with the last error thrown by the predicate as cause.
 *
 * @example
 * await waitFor(() => isPortOpen(4222), { timeoutMs: 10_000, what: 'NATS on 127.0.0.1:4222' });
 */
export async function waitFor<T>(
  predicate: () => T | undefined | null | false | Promise<T | undefined | null | false>,
  opts: WaitForOptions,
): Promise<T> {
  const start = Date.now();
  const deadline = start + opts.timeoutMs;
  let delay = opts.intervalMs ?? 10;
  const maxDelay = opts.maxIntervalMs ?? 250;
  let lastError: unknown;
  let attempts = 0;
  for (;;) {
    attempts++;
    try {
      const value = await predicate();
      if (value !== undefined && value !== null && value !== false) return value;
    } catch (err) {
      if (isTickstreamError(err)) throw err;
      lastError = err;
    }
    const left = deadline - Date.now();
    if (left <= 0) {
      throw new TickstreamError(
        'STACK_ERROR',
        `timed out after ${opts.timeoutMs} ms waiting for ${opts.what}`,
        lastError === undefined ? { details: { attempts } } : { cause: lastError, details: { attempts } },
      );
    }
    await new Promise((resolve) => setTimeout(resolve, Math.min(delay, left)));
    delay = Math.min(maxDelay, Math.ceil(delay * 1.5));
  }
}

/**
 * A TCP port that was free on `host` a moment ago: binds port 0, reads the port the OS chose, closes.
 * Another process may take it before you bind it; on loopback in tests that is rare enough.
 *
 * @example
 * const port = await freePort(); // e.g. 41237
 */
export function freePort(host = '127.0.0.1'): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.unref();
    server.once('error', reject);
    server.listen({ port: 0, host, exclusive: true }, () => {
      const address = server.address();
      server.close(() => {
        if (address !== null && typeof address === 'object') resolve(address.port);
        else reject(new TickstreamError('STACK_ERROR', `could not read a free port on ${host}`));
      });
    });
  });
}

/**
 * `count` distinct free ports (see `freePort`).
 *
 * @example
 * const [client, peer] = await freePorts(2);
 */
export async function freePorts(count: number, host = '127.0.0.1'): Promise<number[]> {
  const ports = new Set<number>();
  for (let tries = 0; ports.size < count; tries++) {
    if (tries > count * 20) throw new TickstreamError('STACK_ERROR', `could not find ${count} free ports`);
    ports.add(await freePort(host));
  }
  return [...ports];
}

/**
 * True when something accepts a TCP connection on `host:port` within `timeoutMs`.
 *
 * @example
 * if (!(await isPortOpen(5432))) console.log('PostgreSQL is down');
 */
export function isPortOpen(port: number, host = '127.0.0.1', timeoutMs = 1_000): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = new Socket();
    const done = (open: boolean) => {
      socket.destroy();
      resolve(open);
    };
    socket.setTimeout(timeoutMs, () => done(false));
    socket.once('connect', () => done(true));
    socket.once('error', () => done(false));
    socket.connect(port, host);
  });
}

/**
 * GETs `url` and parses its JSON body; throws on a network error, a timeout or a non-JSON body.
 * The status is returned alongside, since health endpoints answer 503 with a JSON body.
 */
export async function getJson(url: string, timeoutMs = 1_000): Promise<{ status: number; body: unknown }> {
  const res = await fetch(url, { signal: AbortSignal.timeout(timeoutMs) });
  const text = await res.text();
  return { status: res.status, body: JSON.parse(text) as unknown };
}
