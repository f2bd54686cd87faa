import { EventEmitter } from 'node:events';
import { describe, expect, it } from 'vitest';
import { createLogger } from '../log';
import { guardPool } from './guard';

describe('guardPool', () => {
  const log = createLogger('guard-test', 'silent');

  it('default: a lost connection under a checked-out client or an idle one is logged, not thrown', () => {
    const pool = new EventEmitter();
    const client = new EventEmitter();
    expect(() => client.emit('error', new Error('terminating connection'))).toThrow(); // unguarded: crashes
    guardPool(pool, log);
    pool.emit('acquire', client);
    expect(() => client.emit('error', new Error('terminating connection'))).not.toThrow();
    expect(() => pool.emit('error', new Error('idle client lost'))).not.toThrow();
  });

  it('behavior: an idle error of a client once checked out is logged once', () => {
    const pool = new EventEmitter();
    const client = new EventEmitter();
    const lines: string[] = [];
    const counting = { warn: (_: unknown, msg: string) => lines.push(msg) } as unknown as typeof log;
    guardPool(pool, counting);
    pool.emit('acquire', client);
    const err = new Error('terminating connection');
    client.emit('error', err); // pg emits on the client; the pool's idle listener re-emits on the pool
    pool.emit('error', err, client);
    expect(lines).toEqual(['postgres connection lost']);
    pool.emit('error', err, new EventEmitter()); // never checked out: the pool's listener logs it
    expect(lines).toHaveLength(2);
  });

  it('behavior: one listener per client however often it is checked out', () => {
    const pool = new EventEmitter();
    const client = new EventEmitter();
    guardPool(pool, log);
    for (let i = 0; i < 5; i++) pool.emit('acquire', client);
    expect(client.listenerCount('error')).toBe(1);
    guardPool(pool, log); // guarded again (the projector's fence): nothing added
    expect(pool.listenerCount('error')).toBe(1);
  });
});
