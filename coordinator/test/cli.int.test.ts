import { spawn } from 'node:child_process';
import { type EtcdMember, freePort, REPO_ROOT, startEtcd, waitFor } from '@tickstream/deploy/local';
import type { Etcd3 } from 'etcd3';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import type { StatusView } from '../src/cli';
import { clearHalt, reportHalt } from '../src/client';
import { connectEtcd } from '../src/connect';
import type { ReorgContext } from '../src/layout';
import { listModules } from '../src/modules';
import { type Call, CoordinatorProcess, coordinatorEnv, FakeModule, LeaderWatch } from './harness';

const CHAIN = 4242;
const TTL_S = 3;
let member: EtcdMember;
let etcd: Etcd3;
let leaders: LeaderWatch;
let coordinators: CoordinatorProcess[] = [];
let modules: FakeModule[] = [];
const calls: Call[] = [];

interface CliResult {
  code: number | null;
  stdout: string;
  stderr: string;
  ms: number;
}

/** Runs the `tickstream` bin as an operator would. */
function cli(args: string[], env: Record<string, string> = {}): Promise<CliResult> {
  const t0 = Date.now();
  const child = spawn(process.execPath, ['coordinator/bin/tickstream.js', ...args], {
    cwd: REPO_ROOT,
    env: { ...process.env, ETCD_URL: member.clientUrl, CHAIN_ID: String(CHAIN), LOG_LEVEL: 'silent', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (d) => {
    stdout += d;
  });
  child.stderr.on('data', (d) => {
    stderr += d;
  });
  return new Promise((resolve) =>
    child.once('close', (code) => resolve({ code, stdout, stderr, ms: Date.now() - t0 })),
  );
}

async function json<T>(args: string[]): Promise<T> {
  const res = await cli([...args, '--json']);
  expect(res.stderr).toBe('');
  expect(res.code).toBe(0);
  return JSON.parse(res.stdout) as T;
}

const states = async () => (await listModules(etcd, CHAIN)).map((m) => m.status.state);

beforeAll(async () => {
  member = await startEtcd({ name: 'cli-int', clientPort: await freePort(), peerPort: await freePort() });
  etcd = connectEtcd(member.clientUrl);
  leaders = await LeaderWatch.start(etcd, CHAIN);
  coordinators = ['k1', 'k2'].map(
    (id) => new CoordinatorProcess(id, coordinatorEnv(member.clientUrl, CHAIN, id, TTL_S)),
  );
  await waitFor(() => leaders.current, { timeoutMs: 30_000, what: 'a leader' });
  modules = await Promise.all(
    (
      [
        ['ingest', 'i0'],
        ['projector', 'p0'],
        ['api', 'a0'],
      ] as const
    ).map(([kind, id]) => FakeModule.start(etcd, CHAIN, kind, id, calls)),
  );
});

afterAll(async () => {
  await Promise.all(coordinators.map((c) => c.kill('SIGTERM')));
  await Promise.all(modules.map((m) => m.handle.close()));
  await leaders?.stop();
  etcd?.close();
  await member?.stop();
});

describe('tickstream CLI', () => {
  test('status --json: leader and token, no reorg, every module with its heartbeat age', async () => {
    const view = await json<StatusView>(['status']);
    expect(view.chainId).toBe(CHAIN);
    expect(view.leader).toMatchObject({ id: leaders.current!.id, token: leaders.current!.token });
    expect(view.leader!.heartbeatAgeMs).toBeLessThan(TTL_S * 1_000);
    expect(view.reorg).toBeNull();
    expect(view.paused).toBeNull();
    expect(view.modules.map((m) => `${m.kind}/${m.id} ${m.state}`)).toEqual([
      'ingest/i0 running',
      'projector/p0 running',
      'api/a0 running',
    ]);
    for (const m of view.modules) expect(m.heartbeatAgeMs).toBeLessThan(TTL_S * 1_000);
  });

  test('status and modules: human tables by default', async () => {
    const status = await cli(['status']);
    expect(status.code).toBe(0);
    expect(status.stdout).toMatch(
      new RegExp(`^leader +${leaders.current!.id} +token ${leaders.current!.token}`),
    );
    expect(status.stdout).toContain('reorg    none in progress');
    expect(status.stdout).toMatch(/KIND +ID +STATE +BLOCK +LAG +HEARTBEAT/);
    const mods = await cli(['modules']);
    expect(mods.stdout.split('\n').filter((l) => /^(ingest|projector|api) /.test(l))).toHaveLength(3);
  });

  test('rollback --to N --wait runs the protocol; reorgs lists it', async () => {
    const res = await json<{ reorgId: string; state: string; durationMs: number }>([
      'rollback',
      '--to',
      '77',
      '--wait',
    ]);
    expect(res).toMatchObject({ state: 'done' });
    expect(res.reorgId).toMatch(/^op-rollback-\d+$/);
    for (const m of modules) expect(m.ran(res.reorgId)).toEqual(['suspend', 'rollback', 'restore']);
    expect(calls.find((c) => c.command.reorgId === res.reorgId)?.command.targetBlock).toBe(77);
    const history = await json<ReorgContext[]>(['reorgs']);
    expect(history[0]).toMatchObject({
      reorgId: res.reorgId,
      origin: 'operator',
      targetBlock: 77,
      phase: 'DONE',
    });
    const human = await cli(['reorgs']);
    expect(human.stdout).toMatch(new RegExp(`${res.reorgId} +operator +77`));
    const view = await json<StatusView>(['status']);
    expect(view.lastReorg).toMatchObject({ reorgId: res.reorgId, targetBlock: 77 });
  });

  test('pause and resume: every module is suspended, then running again', async () => {
    expect(await json(['pause'])).toEqual({ request: 'pause', applied: true });
    await waitFor(async () => (await states()).every((s) => s === 'suspended'), {
      timeoutMs: 5_000,
      what: 'all paused',
    });
    expect((await json<StatusView>(['status'])).paused).not.toBeNull();
    for (const m of modules)
      expect(calls.some((c) => c.module === m.name && c.command.step === 'pause')).toBe(true);

    // A rollback while paused suspends and rolls back; the operator's pause holds through RESTORING
    // (the modules are sent pause, not restore), and still holds afterwards.
    const rb = await json<{ reorgId: string }>(['rollback', '--to', '70', '--wait']);
    for (const m of modules) expect(m.ran(rb.reorgId)).toEqual(['suspend', 'rollback', 'pause']);
    await waitFor(async () => (await states()).every((s) => s === 'suspended'), {
      timeoutMs: 5_000,
      what: 'paused again',
    });

    expect(await json(['resume'])).toEqual({ request: 'resume', applied: true });
    await waitFor(async () => (await states()).every((s) => s === 'running'), {
      timeoutMs: 5_000,
      what: 'all resumed',
    });
    expect((await json<StatusView>(['status'])).paused).toBeNull();
  });

  test('status: a halted module is shown as an alert', async () => {
    await reportHalt(etcd, {
      chainId: CHAIN,
      kind: 'ingest',
      id: 'i0',
      reason: 'REORG_TOO_DEEP: 80 > 64 blocks',
      block: 1234,
    });
    const view = await json<StatusView>(['status']);
    expect(view.halts).toMatchObject([
      { kind: 'ingest', id: 'i0', reason: 'REORG_TOO_DEEP: 80 > 64 blocks', block: 1234 },
    ]);
    expect((await cli(['status'])).stdout).toContain(
      'HALTED   ingest/i0: REORG_TOO_DEEP: 80 > 64 blocks at block 1234',
    );
    await clearHalt(etcd, { chainId: CHAIN, kind: 'ingest', id: 'i0' });
    expect((await json<StatusView>(['status'])).halts).toEqual([]);
  });

  test('resign: the leader hands over to the other coordinator', async () => {
    const before = leaders.current!;
    const res = await json<{
      resigned: boolean;
      from: { id: string; token: number };
      to: { id: string; token: number };
    }>(['resign']);
    expect(res.resigned).toBe(true);
    expect(res.from).toEqual({ id: before.id, token: before.token });
    expect(res.to.id).not.toBe(before.id);
    expect(res.to.token).toBeGreaterThan(before.token);
    const view = await json<StatusView>(['status']);
    expect(view.leader?.id).toBe(res.to.id);
  });

  test('error: etcd unreachable: a clear message naming ETCD_URL, exit code 2, quickly', async () => {
    const url = `http://127.0.0.1:${await freePort()}`;
    const res = await cli(['status'], { ETCD_URL: url });
    expect(res.code).toBe(2);
    expect(res.stdout).toBe('');
    expect(res.stderr).toContain(`etcd is unreachable at ETCD_URL=${url}`);
    expect(res.ms).toBeLessThan(5_000);
  });

  test('watch add, list, remove: the request in etcd, once; bad arguments named', async () => {
    const pool = '0x00000000000000000000000000000000000000Aa';
    const added = await json<{ added: boolean; address: string; kind: string; fromBlock: number }>([
      'watch',
      'add',
      pool,
      '--from',
      '12',
    ]);
    expect(added).toMatchObject({ added: true, address: pool.toLowerCase(), kind: 'pool', fromBlock: 12 });
    const raw = await etcd.get(`/tickstream/${CHAIN}/watch/${pool.toLowerCase()}`).json();
    expect(raw).toMatchObject({ address: pool.toLowerCase(), kind: 'pool', fromBlock: 12 });
    expect(await json<{ added: boolean }>(['watch', 'add', pool])).toMatchObject({ added: false });
    const rows = await json<{ address: string; status: unknown }[]>(['watch', 'list']);
    expect(rows).toEqual([expect.objectContaining({ address: pool.toLowerCase(), status: null })]);
    expect((await cli(['watch', 'list'])).stdout).toMatch(/ADDRESS +KIND +FROM +STATE[\s\S]*pending/);
    expect(await json<{ removed: boolean }>(['watch', 'remove', pool])).toEqual({
      removed: true,
      address: pool.toLowerCase(),
    });
    expect(await json<unknown[]>(['watch', 'list'])).toEqual([]);
    const bad = await cli(['watch', 'add', '0x12', '--from', '3']);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain('<address> must be 0x and 40 hex digits');
  });

  test.each([
    [[], 'a command is required'],
    [['frobnicate'], 'unknown command "frobnicate"'],
    [['rollback'], '--to is required'],
    [['rollback', '--to=-3'], '--to must be a whole number'],
    [['rollback', '--to', '1.5'], '--to must be a whole number'],
    [['status', '--to', '5'], '--to and --wait only go with rollback'],
    [['status', '--bogus'], "Unknown option '--bogus'"],
  ])('error: bad arguments %j give usage and exit code 2', async (args, message) => {
    const res = await cli(args);
    expect(res.code).toBe(2);
    expect(res.stderr).toContain(message);
    expect(res.stderr).toContain('Usage: tickstream <command>');
  });
});
