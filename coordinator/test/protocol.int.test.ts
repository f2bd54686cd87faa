import { spawn } from 'node:child_process';
import { createInterface } from 'node:readline';
import { REPO_ROOT, waitFor } from '@tickstream/deploy/local';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { readCurrent } from '../src/context';
import type { Step } from '../src/layout';
import { Cluster, ORDER, reached, stepsOf } from './cluster';
import { FakeModule, waitForHistory } from './harness';

/** The reorg protocol end to end: three coordinator processes, one etcd, fake modules in process. */
const TTL_S = 3;
const CHAIN = 31338;
let cl: Cluster;

beforeAll(async () => {
  cl = await Cluster.start({
    name: 'protocol-int',
    chainId: CHAIN,
    ttlS: TTL_S,
    coordinators: ['c1', 'c2', 'c3'],
    modules: [
      ['ingest', 'i0'],
      ['projector', 'p0'],
      ['projector', 'p1'],
      ['api', 'a0'],
    ],
  });
});

afterAll(async () => {
  await cl?.stop();
});

describe('reorg protocol', () => {
  test('default: a reported reorg runs every phase in order; each module runs each step once', async () => {
    expect(await cl.report('r-all')).toEqual({ accepted: true });
    const done = await waitForHistory(cl.etcd, CHAIN, 'r-all');
    expect(done.phase).toBe('DONE');
    expect(stepsOf(done)).toEqual(ORDER);
    expect(done.steps.find((s) => s.step === 'rollback' && s.kind === 'projector')?.acked).toEqual([
      'projector/p0',
      'projector/p1',
    ]);
    for (const m of cl.modules) expect(m.ran('r-all')).toEqual(['suspend', 'rollback', 'restore']);
    const seqs = (step: Step, names: string[]) =>
      cl.calls
        .filter((c) => c.command.reorgId === 'r-all' && c.command.step === step && names.includes(c.module))
        .map((c) => c.seq);
    const all = cl.modules.map((m) => m.name);
    expect(Math.max(...seqs('suspend', all))).toBeLessThan(Math.min(...seqs('rollback', ['api/a0'])));
    expect(Math.max(...seqs('rollback', ['api/a0']))).toBeLessThan(
      Math.min(...seqs('rollback', ['projector/p0', 'projector/p1'])),
    );
    expect(Math.max(...seqs('rollback', ['projector/p0', 'projector/p1']))).toBeLessThan(
      Math.min(...seqs('rollback', ['ingest/i0'])),
    );
    expect(Math.max(...seqs('rollback', ['ingest/i0']))).toBeLessThan(Math.min(...seqs('restore', all)));
    expect(cl.calls.find((c) => c.command.reorgId === 'r-all')?.command).toMatchObject({
      targetBlock: 100,
      newBlockHash: '0xr-all',
    });
    const line = await cl.leaderProcess().waitForLog('reorg done', 5_000, (l) => l.reorgId === 'r-all');
    expect(line.durationMs).toBeTypeOf('number');
    await cl.allRunning();
    expect(await readCurrent(cl.etcd, CHAIN)).toBeUndefined();
    expect(await cl.report('r-all')).toEqual({ accepted: false }); // done reorgs are not reported twice
  });

  test('behavior: a module whose lease lapses (kill -9) is no longer waited for', async () => {
    const ghost = spawn(process.execPath, ['--import', 'tsx', 'coordinator/test/fake-module-process.ts'], {
      cwd: REPO_ROOT,
      env: {
        ...process.env,
        ETCD_URL: cl.member.clientUrl,
        CHAIN_ID: String(CHAIN),
        KIND: 'projector',
        ID: 'p9',
        HOLD_STEP: 'suspend',
      },
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    const events: { event: string; step?: string; reorgId?: string }[] = [];
    createInterface({ input: ghost.stdout! }).on('line', (line) => events.push(JSON.parse(line)));
    try {
      await waitFor(() => events.some((e) => e.event === 'registered'), {
        timeoutMs: 20_000,
        what: 'p9 registered',
      });
      await cl.report('r-dead');
      await waitFor(() => events.some((e) => e.step === 'suspend' && e.reorgId === 'r-dead'), {
        timeoutMs: 10_000,
        what: 'p9 in suspend',
      });
      expect((await readCurrent(cl.etcd, CHAIN))?.phase).toBe('SUSPENDING');
      const t0 = Date.now();
      ghost.kill('SIGKILL'); // no more keep-alives: the registration lapses after the TTL
      const done = await waitForHistory(cl.etcd, CHAIN, 'r-dead');
      expect(Date.parse(done.doneAt!) - t0).toBeLessThan(2 * TTL_S * 1_000);
      expect(done.steps.find((s) => s.step === 'suspend' && s.kind === 'projector')?.acked).toEqual([
        'projector/p0',
        'projector/p1',
      ]);
      expect(Object.keys(done.moduleStatuses)).not.toContain('projector/p9');
      for (const m of cl.modules) expect(m.ran('r-dead')).toEqual(['suspend', 'rollback', 'restore']);
    } finally {
      ghost.kill('SIGKILL');
    }
  });

  test('behavior: a report that arrives during a rollback waits, then runs on its own', async () => {
    const gate = cl.mod('api/a0').hold('rollback');
    await cl.report('r-q1', 200);
    await reached(gate, 'api/a0 in rollback');
    await cl.report('r-q2', 190);
    expect((await readCurrent(cl.etcd, CHAIN))?.reorgId).toBe('r-q1');
    gate.release();
    const q1 = await waitForHistory(cl.etcd, CHAIN, 'r-q1');
    const q2 = await waitForHistory(cl.etcd, CHAIN, 'r-q2');
    expect(Date.parse(q2.startedAt)).toBeGreaterThanOrEqual(Date.parse(q1.doneAt!));
    expect([q1.targetBlock, q2.targetBlock]).toEqual([200, 190]);
    for (const m of cl.modules) expect(m.ran('r-q2')).toEqual(['suspend', 'rollback', 'restore']);
  });

  test('behavior: a module that registers during a reorg is suspended first, then follows the steps', async () => {
    const gate = cl.mod('api/a0').hold('rollback');
    await cl.report('r-join');
    await reached(gate, 'api/a0 in rollback');
    const late = await FakeModule.start(cl.etcd, CHAIN, 'projector', 'p5', cl.calls);
    await waitFor(() => late.ran('r-join').includes('suspend'), { timeoutMs: 5_000, what: 'p5 suspended' });
    gate.release();
    const done = await waitForHistory(cl.etcd, CHAIN, 'r-join');
    expect(late.ran('r-join')).toEqual(['suspend', 'rollback', 'restore']);
    expect(done.steps.find((s) => s.step === 'rollback' && s.kind === 'projector')?.acked).toContain(
      'projector/p5',
    );
    await late.handle.close();
  });

  test("behavior: a halted module: a reported reorg does not wait for it; an operator's rollback does and lifts the halt", async () => {
    const i0 = cl.mod('ingest/i0');
    await i0.handle.update({ state: 'halted', detail: 'REORG_TOO_DEEP: 80 > 64 blocks' });

    // A reported reorg finishes while the halted module has not even acknowledged suspend.
    const held = i0.hold('suspend');
    await cl.report('r-halted');
    const reported = await waitForHistory(cl.etcd, CHAIN, 'r-halted');
    expect(reported.steps.filter((s) => s.kind === 'ingest').map((s) => s.acked)).toEqual([[], [], []]);
    held.release();
    await waitFor(() => i0.ran('r-halted').length === 3, { timeoutMs: 5_000, what: 'i0 ran r-halted' });
    await waitFor(() => i0.handle.status.lastReorgId === 'r-halted', { timeoutMs: 5_000, what: 'i0 status' });
    expect(i0.handle.status).toMatchObject({ state: 'halted', detail: 'REORG_TOO_DEEP: 80 > 64 blocks' });

    // The operator's rollback waits for it: the others' suspend is recorded done, ingest's is not.
    const gate = i0.hold('suspend');
    const put = await cl.etcd
      .put(cl.keys.request('rollback'))
      .value(JSON.stringify({ toBlock: 90, at: new Date().toISOString() }))
      .exec();
    const reorgId = `op-rollback-${put.header.revision}`;
    await reached(gate, 'i0 in suspend of the operator rollback');
    const waiting = await waitFor(
      async () => {
        const c = await readCurrent(cl.etcd, CHAIN);
        const done = c?.steps.filter((s) => s.doneAt !== undefined).map((s) => s.kind) ?? [];
        return c?.reorgId === reorgId && done.includes('projector') && done.includes('api') ? c : undefined;
      },
      { timeoutMs: 5_000, what: 'projector and api suspend done' },
    );
    expect(waiting.phase).toBe('SUSPENDING');
    gate.release();
    const op = await waitForHistory(cl.etcd, CHAIN, reorgId);
    expect(op.steps.filter((s) => s.kind === 'ingest').map((s) => s.acked)).toEqual([
      ['ingest/i0'],
      ['ingest/i0'],
      ['ingest/i0'],
    ]);
    expect(i0.ran(reorgId)).toEqual(['suspend', 'rollback', 'restore']);
    await cl.allRunning();
    expect(i0.handle.status.detail).toBeUndefined();
  });
});
