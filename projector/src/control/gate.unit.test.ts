import { describe, expect, it } from 'vitest';
import { Gate } from './gate';

describe('Gate', () => {
  it('default: pass goes through while not suspended', async () => {
    const g = new Gate();
    await g.pass();
    expect(g.parked).toBe(false);
  });

  it('behavior: suspend resolves once the loop is parked; resume lets it go on', async () => {
    const g = new Gate();
    const order: string[] = [];
    const suspended = g.suspend().then(() => order.push('parked'));
    const loop = g.pass().then(() => order.push('passed'));
    await suspended;
    expect(g.parked).toBe(true);
    g.resume();
    await loop;
    expect(order).toEqual(['parked', 'passed']);
    expect(g.parked).toBe(false);
  });

  it('behavior: a suspend while already parked resolves at once', async () => {
    const g = new Gate();
    void g.suspend();
    const loop = g.pass();
    await g.suspend();
    g.resume();
    await loop;
  });

  it('behavior: interrupt releases a parked loop (stopping)', async () => {
    const g = new Gate();
    void g.suspend();
    const loop = g.pass();
    g.interrupt();
    await loop;
    expect(g.suspended).toBe(true);
  });
});
