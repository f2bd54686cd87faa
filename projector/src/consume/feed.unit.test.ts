import { describe, expect, it } from 'vitest';
import { cutsBatch, deliveryOf } from './feed';

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

describe('deliveryOf', () => {
  const never = () => {
    throw new Error('fell back');
  };

  it('default: the old ack subject (no domain): stream sequence and pending', () => {
    expect(deliveryOf('$JS.ACK.LEDGER_31337.proj-0.1.4812.77.1795318880014000000.12345', never)).toEqual({
      seq: 4812,
      pending: 12345,
    });
  });

  it('default: the new ack subject (domain, account hash, random token)', () => {
    expect(
      deliveryOf('$JS.ACK._.ACCHASH.LEDGER.proj-0.2.90071992547.3.1795318880014000000.0.abc123', never),
    ).toEqual({ seq: 90071992547, pending: 0 });
    expect(deliveryOf('$JS.ACK.hub.ACCHASH.LEDGER.proj-0.1.5.5.1795318880014000000.9', never)).toEqual({
      seq: 5,
      pending: 9,
    });
  });

  it('behavior: any other subject falls back to the client (which throws for a non-JetStream one)', () => {
    const info = () => ({ streamSequence: 1, pending: 2 });
    expect(deliveryOf('_INBOX.abc', info)).toEqual({ seq: 1, pending: 2 });
    expect(deliveryOf('$JS.ACK.a.b.c.d.e', info)).toEqual({ seq: 1, pending: 2 });
    expect(deliveryOf('$JS.ACK.a.b.c.d.e.f.g.h.i.j.k.l.m', info)).toEqual({ seq: 1, pending: 2 });
    expect(deliveryOf('$JS.ACK.S.C.1.4x.1.17.0', info)).toEqual({ seq: 1, pending: 2 });
  });
});
