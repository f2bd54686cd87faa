import { createServer } from 'node:net';
import { isTickstreamError, TickstreamError } from '@tickstream/shared/errors';
import { describe, expect, test } from 'vitest';
import { freePort, freePorts, isPortOpen, waitFor } from './wait';

describe('waitFor', () => {
  test('default: returns the first truthy value', async () => {
    let calls = 0;
    const value = await waitFor(() => (++calls >= 3 ? `ready after ${calls}` : false), {
      timeoutMs: 5_000,
      what: 'three calls',
    });
    expect(value).toBe('ready after 3');
    expect(calls).toBe(3);
  });

  test('behavior: a thrown plain error means not yet', async () => {
    let calls = 0;
    const value = await waitFor(
      () => {
        if (++calls < 2) throw new Error('ECONNREFUSED');
        return true;
      },
      { timeoutMs: 5_000, what: 'a retry' },
    );
    expect(value).toBe(true);
    expect(calls).toBe(2);
  });

  test('error: timeout is STACK_ERROR naming what, with the last error as cause', async () => {
    const err = await waitFor(
      () => {
        throw new Error('connection refused');
      },
      { timeoutMs: 50, what: 'etcd on 127.0.0.1:1' },
    ).catch((e: unknown) => e);
    expect(isTickstreamError(err, 'STACK_ERROR')).toBe(true);
    expect((err as Error).message).toBe('timed out after 50 ms waiting for etcd on 127.0.0.1:1');
    expect(((err as Error).cause as Error).message).toBe('connection refused');
  });

  test('error: a TickstreamError from the predicate stops waiting at once', async () => {
    let calls = 0;
    const err = await waitFor(
      () => {
        calls++;
        throw new TickstreamError('STACK_ERROR', 'server exited');
      },
      { timeoutMs: 10_000, what: 'never' },
    ).catch((e: unknown) => e);
    expect((err as Error).message).toBe('server exited');
    expect(calls).toBe(1);
  });
});

describe('freePort', () => {
  test('default: the port can be bound, and isPortOpen sees it', async () => {
    const port = await freePort();
    expect(await isPortOpen(port)).toBe(false);
    const server = createServer();
    await new Promise<void>((resolve) => server.listen(port, '127.0.0.1', resolve));
    try {
      expect(await isPortOpen(port)).toBe(true);
    } finally {
      await new Promise((resolve) => server.close(resolve));
    }
  });

  test('freePorts: distinct ports', async () => {
    const ports = await freePorts(6);
    expect(new Set(ports).size).toBe(6);
  });
});
