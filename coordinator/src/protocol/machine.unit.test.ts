import { describe, expect, test } from 'vitest';
import type { ModuleKind, ModuleState, ReorgContext, Step } from '../layout';
import type { LiveModule } from '../modules';
import { ackId, type Decision, next, type Observed, type ReorgStart, startReorg, takeOver } from './machine';

const T0 = new Date('2025-01-01T00:00:00.000Z');
const at = (ms: number) => new Date(T0.getTime() + ms);

function mod(kind: ModuleKind, id: string, state: ModuleState = 'running'): LiveModule {
  return {
    kind,
    id,
    status: { state, block: 100, heartbeatAt: T0.toISOString(), lastToken: 0, lastReorgId: null },
  };
}

const LIVE = [mod('ingest', 'i0'), mod('projector', 'p0'), mod('projector', 'p1'), mod('api', 'a0')];

function obs(acks: readonly string[], live: readonly LiveModule[] = LIVE, ms = 10, paused = false): Observed {
  return { acks: new Set(acks), live, now: at(ms), paused };
}

/** Every ack of `step` from the live modules of `kinds`. */
function acksOf(step: Step, kinds: readonly ModuleKind[], live: readonly LiveModule[] = LIVE): string[] {
  return live.filter((m) => kinds.includes(m.kind)).map((m) => ackId(step, m.kind, m.id));
}

const START = {
  reorgId: 'r1',
  origin: 'report',
  targetBlock: 100,
  newHead: { number: 103, hash: '0xabc' },
} as const;

function expectWrite(d: Decision): Extract<Decision, { type: 'write' }> {
  expect(d.type).toBe('write');
  return d as Extract<Decision, { type: 'write' }>;
}

function sent(d: Decision): string[] {
  return d.type === 'write' ? d.send.map((c) => `${c.command.step} ${c.kind} @${c.command.token}`) : [];
}

/** Runs the machine with every live module acking whatever it is sent, and returns each decision. */
function runToEnd(
  live: readonly LiveModule[] = LIVE,
  { start = START, paused = false }: { start?: ReorgStart; paused?: boolean } = {},
): Decision[] {
  const decisions: Decision[] = [];
  let d: Decision = startReorg(start, 7, obs([], live, 0, paused));
  const acks: string[] = [];
  for (let ms = 1; d.type === 'write' && ms < 50; ms++) {
    decisions.push(d);
    for (const c of d.send) acks.push(...acksOf(c.command.step, [c.kind], live));
    d = next(d.context, obs(acks, live, ms, paused));
  }
  decisions.push(d);
  return decisions;
}

describe('startReorg', () => {
  test('default: SUSPENDING, the context carries the report and the token, suspend goes to every kind', () => {
    const d = startReorg(START, 7, obs([], LIVE, 0));
    expect(d.context).toMatchObject({
      reorgId: 'r1',
      phase: 'SUSPENDING',
      targetBlock: 100,
      newBlockHash: '0xabc',
      leaderToken: 7,
      checkpoint: { keptBlock: 100, resumeFrom: 101, newHead: { number: 103, hash: '0xabc' } },
      startedAt: T0.toISOString(),
    });
    expect(Object.keys(d.context.moduleStatuses)).toEqual([
      'ingest/i0',
      'projector/p0',
      'projector/p1',
      'api/a0',
    ]);
    expect(sent(d)).toEqual(['suspend ingest @7', 'suspend projector @7', 'suspend api @7']);
    expect(d.send[0]!.command).toEqual({
      token: 7,
      reorgId: 'r1',
      step: 'suspend',
      targetBlock: 100,
      newBlockHash: '0xabc',
    });
  });
});

describe('next', () => {
  test('default: every phase in order, rollback in reverse pipeline order, then DONE', () => {
    const decisions = runToEnd();
    expect(decisions.map((d) => (d.type === 'write' ? d.transition : d.type))).toEqual([
      'SUSPENDING: suspend all',
      'ROLLING_BACK: rollback api',
      'ROLLING_BACK: rollback projector',
      'ROLLING_BACK: rollback ingest',
      'RESTORING: restore ingest, restore projector, restore api',
      'finish',
    ]);
    const done = decisions.at(-1)!;
    expect(done.type).toBe('finish');
    if (done.type !== 'finish') return;
    expect(done.context.phase).toBe('DONE');
    expect(done.context.durationMs).toBe(5);
    expect(done.context.steps.map((s) => `${s.step} ${s.kind}`)).toEqual([
      'suspend ingest',
      'suspend projector',
      'suspend api',
      'rollback api',
      'rollback projector',
      'rollback ingest',
      'restore ingest',
      'restore projector',
      'restore api',
    ]);
    expect(done.context.steps.every((s) => s.doneAt !== undefined)).toBe(true);
    expect(done.context.steps.find((s) => s.step === 'rollback' && s.kind === 'projector')?.acked).toEqual([
      'projector/p0',
      'projector/p1',
    ]);
  });

  test('behavior: SUSPENDING waits until every live module acked, and names the ones missing', () => {
    const { context } = startReorg(START, 7, obs([], LIVE, 0));
    const partial = acksOf('suspend', ['api', 'ingest']).concat(ackId('suspend', 'projector', 'p0'));
    // api and ingest are done: progress is recorded, projector/p1 still awaited.
    const progress = expectWrite(next(context, obs(partial)));
    expect(progress.send).toEqual([]);
    expect(progress.context.phase).toBe('SUSPENDING');
    expect(progress.context.steps.filter((s) => s.doneAt).map((s) => s.kind)).toEqual(['ingest', 'api']);
    expect(next(progress.context, obs(partial))).toEqual({ type: 'wait', waitingFor: ['projector/p1'] });
  });

  test('behavior: ROLLING_BACK waits for the acks of the current kind only', () => {
    let ctx = expectWrite(
      next(
        startReorg(START, 7, obs([], LIVE, 0)).context,
        obs(acksOf('suspend', ['ingest', 'projector', 'api'])),
      ),
    ).context;
    expect(ctx.phase).toBe('ROLLING_BACK');
    // ingest acking rollback early does not skip projector.
    const acks = [
      ...acksOf('suspend', ['ingest', 'projector', 'api']),
      ...acksOf('rollback', ['api', 'ingest']),
    ];
    ctx = expectWrite(next(ctx, obs(acks))).context;
    expect(ctx.steps.at(-1)).toMatchObject({ step: 'rollback', kind: 'projector' });
    expect(next(ctx, obs(acks))).toEqual({ type: 'wait', waitingFor: ['projector/p0', 'projector/p1'] });
  });

  test('behavior: a dead module (lease lapsed, gone from live) is not waited for', () => {
    const { context } = startReorg(START, 7, obs([], LIVE, 0));
    const survivors = LIVE.filter((m) => m.id !== 'p1');
    const d = expectWrite(
      next(context, obs(acksOf('suspend', ['ingest', 'projector', 'api'], survivors), survivors)),
    );
    expect(d.context.phase).toBe('ROLLING_BACK');
    expect(Object.keys(d.context.moduleStatuses)).not.toContain('projector/p1');
  });

  test('behavior: an ack of a module that died afterwards still counts in `acked`', () => {
    const { context } = startReorg(START, 7, obs([], LIVE, 0));
    const survivors = LIVE.filter((m) => m.id !== 'p1');
    const d = expectWrite(next(context, obs(acksOf('suspend', ['ingest', 'projector', 'api']), survivors)));
    expect(d.context.steps.find((s) => s.kind === 'projector')?.acked).toEqual([
      'projector/p0',
      'projector/p1',
    ]);
  });

  test('behavior: a reorg reported by a module does not wait for a halted module', () => {
    const live = [mod('ingest', 'i0', 'halted'), mod('api', 'a0')];
    const { context } = startReorg(START, 7, obs([], live, 0));
    const d = expectWrite(next(context, obs([ackId('suspend', 'api', 'a0')], live)));
    expect(d.context.phase).toBe('ROLLING_BACK');
  });

  test("behavior: an operator's rollback waits for a halted module in every step", () => {
    const live = [mod('ingest', 'i0', 'halted'), mod('api', 'a0')];
    const start: ReorgStart = {
      reorgId: 'op-rollback-9',
      origin: 'operator',
      targetBlock: 90,
      newHead: null,
    };
    const { context } = startReorg(start, 7, obs([], live, 0));
    expect(next(context, obs([ackId('suspend', 'api', 'a0')], live))).toMatchObject({
      type: 'write',
      transition: 'SUSPENDING: progress',
    });
    const decisions = runToEnd(live, { start });
    expect(decisions.map((d) => (d.type === 'write' ? d.transition : d.type))).toEqual([
      'SUSPENDING: suspend all',
      'ROLLING_BACK: rollback api',
      'ROLLING_BACK: rollback projector',
      'ROLLING_BACK: rollback ingest',
      'RESTORING: restore ingest, restore projector, restore api',
      'finish',
    ]);
    const done = decisions.at(-1)!;
    if (done.type !== 'finish') throw new Error('expected finish');
    expect(done.context.steps.filter((s) => s.kind === 'ingest').map((s) => s.acked)).toEqual([
      ['ingest/i0'],
      ['ingest/i0'],
      ['ingest/i0'],
    ]);
    // Without ingest's rollback ack, the rollback does not go on to RESTORING.
    const rolling = decisions
      .map((d) => (d.type === 'write' ? d.context : undefined))
      .find((c) => c?.steps.at(-1)?.kind === 'ingest' && c.phase === 'ROLLING_BACK')!;
    const allButIngest = [
      ...acksOf('suspend', ['ingest', 'api'], live),
      ...acksOf('rollback', ['api'], live),
    ];
    expect(next(rolling, obs(allButIngest, live))).toEqual({ type: 'wait', waitingFor: ['ingest/i0'] });
  });

  test('behavior: under an operator pause, RESTORING sends pause: the modules stay suspended', () => {
    const decisions = runToEnd(LIVE, { paused: true });
    expect(decisions.map((d) => (d.type === 'write' ? d.transition : d.type))).toEqual([
      'SUSPENDING: suspend all',
      'ROLLING_BACK: rollback api',
      'ROLLING_BACK: rollback projector',
      'ROLLING_BACK: rollback ingest',
      'RESTORING: pause ingest, pause projector, pause api',
      'finish',
    ]);
    const restoring = decisions[4]!;
    expect(sent(restoring)).toEqual(['pause ingest @7', 'pause projector @7', 'pause api @7']);
    expect(restoring.type === 'write' && restoring.send[0]!.command).toEqual({
      token: 7,
      reorgId: 'r1',
      step: 'pause',
      targetBlock: 100,
      newBlockHash: '0xabc',
    });
    const done = decisions.at(-1)!;
    expect(done.type === 'finish' && done.context.steps.every((s) => s.doneAt !== undefined)).toBe(true);
  });

  test('behavior: a module that registers mid-step is waited for', () => {
    const { context } = startReorg(START, 7, obs([], LIVE, 0));
    const joined = [...LIVE, mod('projector', 'p2')];
    const d = next(context, obs(acksOf('suspend', ['ingest', 'projector', 'api']), joined));
    expect(d.type).toBe('write'); // ingest and api done
    expect(
      next(
        (d as Extract<Decision, { type: 'write' }>).context,
        obs(acksOf('suspend', ['ingest', 'projector', 'api']), joined),
      ),
    ).toEqual({
      type: 'wait',
      waitingFor: ['projector/p2'],
    });
  });

  test('behavior: with no modules at all, every step completes at once', () => {
    const decisions = runToEnd([]);
    expect(decisions).toHaveLength(6);
    expect(decisions.at(-1)?.type).toBe('finish');
  });

  test('behavior: repeated input, repeated answer (pure); repeated acks add no step', () => {
    const { context } = startReorg(START, 7, obs([], LIVE, 0));
    const acks = acksOf('suspend', ['ingest', 'projector', 'api']);
    const first = expectWrite(next(context, obs(acks)));
    expect(next(context, obs(acks))).toEqual(first);
    const again = next(first.context, obs([...acks, ...acks]));
    expect(again).toEqual({ type: 'wait', waitingFor: ['api/a0'] });
  });

  test('behavior: DONE is final: next returns finish again', () => {
    const done = runToEnd().at(-1)!;
    if (done.type !== 'finish') throw new Error('expected finish');
    expect(next(done.context, obs([]))).toEqual({ type: 'finish', context: done.context });
  });
});

describe('takeOver', () => {
  test.each(['SUSPENDING', 'ROLLING_BACK', 'RESTORING'] as const)(
    'behavior: in %s, a new leader repeats the open step with its token; history of steps is kept',
    (phase) => {
      const ctx = runToEnd()
        .map((d) => (d.type === 'write' ? d.context : undefined))
        .find((c): c is ReorgContext => c?.phase === phase)!;
      const d = takeOver(ctx, 42, obs([]));
      expect(d.context).toEqual({ ...ctx, leaderToken: 42, moduleStatuses: d.context.moduleStatuses });
      const open = ctx.steps.filter((s) => !s.doneAt).map((s) => `${s.step} ${s.kind} @42`);
      expect(open.length).toBeGreaterThan(0);
      expect(sent(d)).toEqual(open);
      expect(d.send.every((c) => c.command.reorgId === 'r1')).toBe(true);
    },
  );

  test('behavior: acks given to the old leader count for the new one', () => {
    const { context } = startReorg(START, 7, obs([], LIVE, 0));
    const taken = takeOver(context, 42, obs([]));
    const d = expectWrite(next(taken.context, obs(acksOf('suspend', ['ingest', 'projector', 'api']))));
    expect(d.context.phase).toBe('ROLLING_BACK');
    expect(sent(d)).toEqual(['rollback api @42']);
  });
});
