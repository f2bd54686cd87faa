import { type EtcdMember, freePort, startEtcd, waitFor } from '@tickstream/deploy/local';
import { isTickstreamError } from '@tickstream/shared';
import type { Etcd3 } from 'etcd3';
import { afterAll, afterEach, beforeAll, describe, expect, test } from 'vitest';
import { connectEtcd } from '../src/connect';
import { Candidate, fencedWrite, type Leadership } from '../src/election';
import { keysFor } from '../src/layout';
import { silentLogger } from './harness';

let chain = 9000;
let member: EtcdMember;
let etcd: Etcd3;
const stop = new AbortController();
const candidates: Candidate[] = [];

beforeAll(async () => {
  member = await startEtcd({
    name: 'election-int',
    clientPort: await freePort(),
    peerPort: await freePort(),
  });
  etcd = connectEtcd(member.clientUrl);
});

afterEach(async () => {
  await Promise.all(candidates.splice(0).map((c) => c.close()));
});

afterAll(async () => {
  stop.abort();
  etcd?.close();
  await member?.stop();
});

function candidate(chainId: number, id: string): Candidate {
  const c = new Candidate(etcd, { chainId, id, leaseTtlS: 3, log: silentLogger });
  candidates.push(c);
  return c;
}

const ended = (l: Leadership) =>
  waitFor(() => (l.active ? undefined : l.endReason), { timeoutMs: 10_000, what: 'the term to end' });

describe('Candidate', () => {
  test('default: one candidate leads; its token is the create revision of the leader key; fenced writes pass', async () => {
    const chainId = ++chain;
    const k = keysFor(chainId);
    const a = await candidate(chainId, 'a').campaign(stop.signal);
    const res = await etcd.get(k.leader).exec();
    expect(a.token).toBe(Number(res.kvs[0]!.create_revision));
    expect(JSON.parse(res.kvs[0]!.value.toString())).toMatchObject({ id: 'a', pid: process.pid });
    await fencedWrite(etcd, a, [{ put: `${k.root}probe`, value: { by: 'a' } }]);
    expect(await etcd.get(`${k.root}probe`).json()).toEqual({ by: 'a' });
    const b = candidate(chainId, 'b').campaign(stop.signal);
    let bLeads = false;
    void b.then(() => {
      bLeads = true;
    });
    await waitFor(async () => (await etcd.get(k.heartbeat).json()) as object, {
      timeoutMs: 5_000,
      what: 'a heartbeat',
    });
    expect(bLeads).toBe(false); // b waits while a's key exists
    await candidates[0]!.resign(a);
    const bl = await b;
    expect(bl.token).toBeGreaterThan(a.token);
    expect(a.active).toBe(false);
  });

  test('error: once the leader key is gone, a fenced write is refused with FENCED and writes nothing', async () => {
    const chainId = ++chain;
    const k = keysFor(chainId);
    const a = await candidate(chainId, 'a').campaign(stop.signal);
    const refusedBefore = a.stats.refused;
    await etcd.delete().key(k.leader); // as if the lease had expired while the leader was paused
    const err = await fencedWrite(etcd, a, [{ put: `${k.root}late`, value: 1 }]).catch((e: unknown) => e);
    expect(isTickstreamError(err, 'FENCED')).toBe(true);
    expect(a.stats.refused).toBeGreaterThan(refusedBefore);
    expect(await etcd.get(`${k.root}late`).string()).toBeNull();
    expect(await ended(a)).toBeTypeOf('string');
  });

  test('behavior: a revoked lease ends the term, and a new leader has a higher token', async () => {
    const chainId = ++chain;
    const k = keysFor(chainId);
    const a = await candidate(chainId, 'a').campaign(stop.signal);
    const res = await etcd.get(k.leader).exec();
    await etcd.leaseClient.leaseRevoke({ ID: res.kvs[0]!.lease });
    expect(await ended(a)).toBeTypeOf('string');
    const b = await candidate(chainId, 'b').campaign(stop.signal);
    expect(b.token).toBeGreaterThan(a.token);
  });
});
