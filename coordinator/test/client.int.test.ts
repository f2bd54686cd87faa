import { type EtcdMember, freePort, startEtcd, waitFor } from '@tickstream/deploy/local';
import { isTickstreamError, type TickstreamError } from '@tickstream/shared';
import type { Etcd3 } from 'etcd3';
import { afterAll, afterEach, beforeAll, describe, expect, test } from 'vitest';
import {
  type Command,
  clearHalt,
  type ModuleHandle,
  registerModule,
  reportHalt,
  reportReorg,
} from '../src/client';
import { connectEtcd } from '../src/connect';
import { ackSchema, keysFor, moduleStatusSchema, parseValue, type ReorgContext } from '../src/layout';
import { silentLogger } from './harness';

let chain = 7000;
let member: EtcdMember;
let etcd: Etcd3;
const handles: ModuleHandle[] = [];

beforeAll(async () => {
  member = await startEtcd({ name: 'client-int', clientPort: await freePort(), peerPort: await freePort() });
  etcd = connectEtcd(member.clientUrl);
});

afterEach(async () => {
  await Promise.all(handles.splice(0).map((h) => h.close()));
});

afterAll(async () => {
  etcd?.close();
  await member?.stop();
});

/** A fresh chain id per test, so that tests share etcd but no keys. */
function fresh() {
  chain++;
  return { chainId: chain, k: keysFor(chain) };
}

async function register(
  chainId: number,
  onCommand: (c: Command) => unknown,
  extra: { onRefused?: (e: TickstreamError) => void; id?: string } = {},
) {
  const handle = await registerModule(etcd, {
    chainId,
    kind: 'projector',
    id: extra.id ?? 'p0',
    onCommand,
    log: silentLogger,
    retryMs: 20,
    ...(extra.onRefused ? { onRefused: extra.onRefused } : {}),
  });
  handles.push(handle);
  return handle;
}

const send = (key: string, command: Command) => etcd.put(key).value(JSON.stringify(command));
const readAck = async (key: string) => {
  const text = await etcd.get(key).string();
  return text === null ? undefined : parseValue(ackSchema, text);
};
const ackOf = (
  key: string,
  pred: (a: NonNullable<Awaited<ReturnType<typeof readAck>>>) => boolean = () => true,
) =>
  waitFor(
    async () => {
      const a = await readAck(key);
      return a && pred(a) ? a : undefined;
    },
    { timeoutMs: 5_000, what: `ack ${key}` },
  );

describe('registerModule', () => {
  test('default: registered under its own lease with a status; update and close', async () => {
    const { chainId, k } = fresh();
    const handle = await register(chainId, () => undefined);
    const res = await etcd.get(handle.key).exec();
    expect(handle.key).toBe(k.module('projector', 'p0'));
    const lease = await etcd.leaseClient.leaseTimeToLive({ ID: res.kvs[0]!.lease });
    expect(Number(lease.grantedTTL)).toBe(3);
    expect(parseValue(moduleStatusSchema, res.kvs[0]!.value.toString())).toMatchObject({
      state: 'running',
      block: 0,
      lastToken: 0,
      lastReorgId: null,
    });
    await handle.update({ block: 42, lag: 1 });
    expect(JSON.parse((await etcd.get(handle.key).string())!)).toMatchObject({ block: 42, lag: 1 });
    await handle.close();
    expect(await etcd.get(handle.key).string()).toBeNull(); // revoked: gone at once, no wait for the TTL
  });

  test('behavior: commands of its own key and of the broadcast key run in order and are acked', async () => {
    const { chainId, k } = fresh();
    const ran: string[] = [];
    const handle = await register(chainId, (c) => {
      ran.push(`${c.step}@${c.token}`);
      return { did: c.step };
    });
    await send(k.broadcast('projector'), { token: 5, reorgId: 'r1', step: 'suspend', targetBlock: 10 });
    await send(k.command('projector', 'p0'), { token: 5, reorgId: 'r1', step: 'rollback', targetBlock: 10 });
    const ack = await ackOf(k.ack('r1', 'rollback', 'projector', 'p0'));
    expect(ack).toMatchObject({ ok: true, token: 5, result: { did: 'rollback' } });
    expect(ran).toEqual(['suspend@5', 'rollback@5']);
    await waitFor(() => handle.status.lastReorgId === 'r1', { timeoutMs: 2_000, what: 'status' });
    expect(handle.status).toMatchObject({ state: 'suspended', lastToken: 5 });
  });

  test('behavior: a repeated (reorgId, step), e.g. from a new leader, is acked again without running', async () => {
    const { chainId, k } = fresh();
    let runs = 0;
    const handle = await register(chainId, () => ++runs);
    const key = k.ack('r1', 'suspend', 'projector', 'p0');
    await send(k.broadcast('projector'), { token: 5, reorgId: 'r1', step: 'suspend' });
    await ackOf(key);
    await send(k.broadcast('projector'), { token: 8, reorgId: 'r1', step: 'suspend' });
    const again = await ackOf(key, (a) => a.token === 8);
    expect(again).toMatchObject({ ok: true, repeated: true, result: 1 });
    expect(runs).toBe(1);
    expect(handle.highestToken).toBe(8);
  });

  test('error: a command with a lower token is refused: not run, not acked, FENCED in status', async () => {
    const { chainId, k } = fresh();
    const refusals: TickstreamError[] = [];
    const ran: string[] = [];
    const handle = await register(chainId, (c) => void ran.push(`${c.reorgId}@${c.token}`), {
      onRefused: (e) => refusals.push(e),
    });
    await send(k.broadcast('projector'), { token: 9, reorgId: 'r1', step: 'suspend' });
    await ackOf(k.ack('r1', 'suspend', 'projector', 'p0'));
    await send(k.command('projector', 'p0'), { token: 4, reorgId: 'r2', step: 'rollback', targetBlock: 1 });
    await waitFor(() => refusals.length === 1, { timeoutMs: 5_000, what: 'a refusal' });
    expect(isTickstreamError(refusals[0], 'FENCED')).toBe(true);
    expect(handle.refused).toBe(1);
    expect(ran).toEqual(['r1@9']);
    expect(await readAck(k.ack('r2', 'rollback', 'projector', 'p0'))).toBeUndefined();
    await waitFor(
      async () => JSON.parse((await etcd.get(handle.key).string())!).detail?.startsWith('FENCED'),
      {
        timeoutMs: 2_000,
        what: 'FENCED in the stored status',
      },
    );
  });

  test('behavior: a failing step is acked ok: false, tried again, then acked ok', async () => {
    const { chainId, k } = fresh();
    let attempts = 0;
    await register(chainId, () => {
      if (++attempts < 3) throw new Error(`disk full (attempt ${attempts})`);
      return 'rewound';
    });
    const key = k.ack('r1', 'rollback', 'projector', 'p0');
    await send(k.broadcast('projector'), { token: 5, reorgId: 'r1', step: 'rollback', targetBlock: 9 });
    const ack = await ackOf(key, (a) => a.ok);
    expect(ack.result).toBe('rewound');
    expect(attempts).toBe(3);
  });

  test('behavior: a module registering during a reorg is suspended first', async () => {
    const { chainId, k } = fresh();
    const ctx: ReorgContext = {
      reorgId: 'r7',
      origin: 'report',
      targetBlock: 50,
      newBlockHash: '0xfe',
      phase: 'ROLLING_BACK',
      moduleStatuses: {},
      checkpoint: { keptBlock: 50, resumeFrom: 51, newHead: null },
      steps: [],
      startedAt: new Date().toISOString(),
      leaderToken: 11,
    };
    await etcd.put(k.current).value(JSON.stringify(ctx));
    await send(k.broadcast('projector'), { token: 11, reorgId: 'r7', step: 'rollback', targetBlock: 50 });
    const ran: string[] = [];
    await register(chainId, (c) => void ran.push(`${c.step} ${c.reorgId}@${c.token}`));
    await ackOf(k.ack('r7', 'rollback', 'projector', 'p0'));
    expect(ran).toEqual(['suspend r7@11', 'rollback r7@11']);
  });

  test('behavior: after a restart with the same id, a step acked before is acked again, not run', async () => {
    const { chainId, k } = fresh();
    let runs = 0;
    const first = await register(chainId, () => ++runs);
    await send(k.broadcast('projector'), { token: 5, reorgId: 'r1', step: 'suspend' });
    await ackOf(k.ack('r1', 'suspend', 'projector', 'p0'));
    await first.close();
    const second = await register(chainId, () => ++runs); // reads the broadcast command at start
    await waitFor(() => second.highestToken === 5, { timeoutMs: 5_000, what: 'the command read at start' });
    expect(runs).toBe(1);
    expect(await readAck(k.ack('r1', 'suspend', 'projector', 'p0'))).toMatchObject({
      ok: true,
      repeated: true,
    });
  });

  test('error: bad ids are refused before anything is written', async () => {
    await expect(
      registerModule(etcd, { chainId: 1, kind: 'projector', id: '_all', onCommand: () => undefined }),
    ).rejects.toThrow(/module id/);
    await expect(
      registerModule(etcd, { chainId: 1, kind: 'indexer' as 'api', id: 'x', onCommand: () => undefined }),
    ).rejects.toThrow(/module kind/);
  });
});

describe('reportReorg and reportHalt', () => {
  test('behavior: a report is stored once; a done reorg is not reported again', async () => {
    const { chainId, k } = fresh();
    const params = {
      chainId,
      reorgId: 'r-9-0xab',
      targetBlock: 9,
      newHead: { number: 11, hash: '0xab' },
      reporter: 'ingest/i0',
    };
    expect(await reportReorg(etcd, params)).toEqual({ accepted: true });
    expect(await reportReorg(etcd, params)).toEqual({ accepted: false });
    expect(JSON.parse((await etcd.get(k.report('r-9-0xab')).string())!)).toMatchObject({
      targetBlock: 9,
      reporter: 'ingest/i0',
    });
    await etcd.delete().key(k.report('r-9-0xab'));
    await etcd.put(k.historyOf('r-9-0xab')).value('{}');
    expect(await reportReorg(etcd, params)).toEqual({ accepted: false });
    await expect(reportReorg(etcd, { ...params, reorgId: 'op-rollback-1' })).rejects.toThrow(/op-/);
  });

  test('default: a halt is recorded until cleared', async () => {
    const { chainId, k } = fresh();
    await reportHalt(etcd, {
      chainId,
      kind: 'ingest',
      id: 'i0',
      reason: 'REORG_TOO_DEEP',
      block: 99,
      detail: { depth: 80 },
    });
    expect(JSON.parse((await etcd.get(k.halt('ingest', 'i0')).string())!)).toMatchObject({
      reason: 'REORG_TOO_DEEP',
      block: 99,
      detail: { depth: 80 },
    });
    await clearHalt(etcd, { chainId, kind: 'ingest', id: 'i0' });
    expect(await etcd.get(k.halt('ingest', 'i0')).string()).toBeNull();
  });
});
