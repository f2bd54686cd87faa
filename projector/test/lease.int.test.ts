/**
 * The projector's kept lease against a real etcd: it turns stale (its holder must stop writing) TTL/2
 * after the last keep-alive etcd answered, well before etcd can let it expire, and fresh again when
 * etcd answers before that.
 */
import { connectEtcd } from '@tickstream/coordinator';
import { type EtcdMember, freePort, startEtcd, waitFor } from '@tickstream/deploy/local';
import { createLogger } from '@tickstream/shared';
import type { Etcd3 } from 'etcd3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { KeptLease } from '../src/assign/lease';

const TTL_S = 2;
let member: EtcdMember;
let etcd: Etcd3;
const log = createLogger('lease-test', 'silent');

beforeAll(async () => {
  member = await startEtcd({ name: 'proj-lease', clientPort: await freePort(), peerPort: await freePort() });
  etcd = connectEtcd(member.clientUrl);
});

afterAll(async () => {
  member?.resume();
  etcd?.close();
  await member?.stop();
});

describe('KeptLease', () => {
  it('behavior: etcd frozen: stale within TTL/2 of the last answer, fresh again once etcd answers', async () => {
    let changes = 0;
    const lease = await KeptLease.grant(etcd, TTL_S, log, () => changes++);
    await lease.lease.put('/test/held').value('x');
    await waitFor(() => lease.ageMs < 400, { timeoutMs: 5_000, what: 'a keep-alive answered' });
    expect(lease.fresh).toBe(true);

    const frozenAt = performance.now();
    member.pause();
    let staleMs: number;
    try {
      await waitFor(() => !lease.fresh, {
        timeoutMs: 5_000,
        what: 'the lease to turn stale',
        intervalMs: 5,
        maxIntervalMs: 5,
      });
      staleMs = performance.now() - frozenAt;
      await waitFor(() => changes > 0, { timeoutMs: 1_000, what: 'onChange for the stale lease' });
    } finally {
      member.resume();
    }
    console.log(`etcd frozen: lease stale ${Math.round(staleMs)} ms later (TTL ${TTL_S} s)`);
    // The last answered keep-alive was sent before the freeze: stale within TTL/2 of it (plus polling),
    // while etcd keeps the lease for TTL after it received that keep-alive.
    expect(staleMs).toBeLessThanOrEqual((TTL_S * 1_000) / 2 + 100);
    await waitFor(() => lease.fresh, { timeoutMs: 5_000, what: 'the lease fresh again' });
    expect(lease.lost).toBe(false);
    expect(await etcd.get('/test/held').string()).toBe('x'); // never lapsed
    await lease.close();
    expect(await etcd.get('/test/held').string()).toBeNull(); // revoked: gone at once
  });

  it('behavior: a lease etcd let expire is lost for good', async () => {
    let changes = 0;
    const lease = await KeptLease.grant(etcd, TTL_S, log, () => changes++);
    await etcd.leaseClient.leaseRevoke({ ID: lease.id }); // as if it had expired
    await waitFor(() => lease.lost, { timeoutMs: 5_000, what: 'the lease to be reported lost' });
    expect(lease.fresh).toBe(false);
    expect(changes).toBeGreaterThan(0);
    await lease.close();
  });
});
