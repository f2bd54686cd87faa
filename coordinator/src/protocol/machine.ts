import {
  type Command,
  MODULE_KINDS,
  type ModuleKind,
  type ReorgContext,
  ROLLBACK_ORDER,
  type Step,
  type StepRecord,
} from '../layout';
import { type LiveModule, moduleName } from '../modules';

/**
 * The reorg protocol as a pure state machine: no I/O, no clock (the time is an input). The leader's
 * driver reads etcd, calls these functions, and writes what they return through the fence.
 *
 *   SUSPENDING   suspend -> every kind at once; done when every awaited module acked
 *   ROLLING_BACK rollback -> api, then projector, then ingest; each kind waits for its own acks
 *   RESTORING    restore -> every kind at once (resume from targetBlock + 1); while an operator
 *                pause holds, pause instead: the modules stay suspended at targetBlock until resume
 *   DONE         the context moves to history
 *
 * Awaited modules are the live ones (registered: lease alive). A halted module (it stopped for an
 * operator) is awaited only by an operator's rollback, which is what recovers it: it rolls back with
 * the others and its rollback lifts the halt; a reorg reported by a module does not wait for it. A
 * module whose lease lapses disappears from `live` and is no longer waited for; one that registers
 * mid-step is. Steps are keyed by (reorgId, step): repeating one is harmless, which is what a new
 * leader does.
 */

/** What the leader sees: acks of the current reorg as `step/kind/id`, live modules, the time. */
export interface Observed {
  readonly acks: ReadonlySet<string>;
  readonly live: readonly LiveModule[];
  readonly now: Date;
  /**
   * An operator pause is in force (`control/paused`; default false). Pause and resume are applied
   * only between reorgs, so this holds for the whole reorg: RESTORING then sends `pause`.
   */
  readonly paused?: boolean;
}

/** A command for every module of `kind` (written to the kind's broadcast key). */
export interface KindCommand {
  readonly kind: ModuleKind;
  readonly command: Command;
}

export type Decision =
  /** Nothing to write: waiting for the acks of these modules (`kind/id`). */
  | { readonly type: 'wait'; readonly waitingFor: readonly string[] }
  /** Write `context`, and with it `send`, in one fenced transaction. */
  | {
      readonly type: 'write';
      readonly context: ReorgContext;
      readonly send: readonly KindCommand[];
      readonly transition: string;
    }
  /** The reorg is DONE: move `context` to history. */
  | { readonly type: 'finish'; readonly context: ReorgContext };

/** What starts a reorg: a module's report or an operator's rollback request. */
export interface ReorgStart {
  readonly reorgId: string;
  readonly origin: 'report' | 'operator';
  readonly targetBlock: number;
  readonly newHead: { readonly number: number; readonly hash: string } | null;
}

/** The key of an ack in `Observed.acks`. */
export function ackId(step: Step, kind: ModuleKind, id: string): string {
  return `${step}/${kind}/${id}`;
}

/**
 * The modules a step of `kind` waits for: the live ones, halted ones included only when the reorg is
 * an operator's rollback (the operator's answer to a halt must reach the halted module).
 *
 * @example
 * awaited(live, 'ingest', 'report'); // live ingest modules that are not halted
 */
export function awaited(
  live: readonly LiveModule[],
  kind: ModuleKind,
  origin: ReorgContext['origin'],
): LiveModule[] {
  return live.filter((m) => m.kind === kind && (origin === 'operator' || m.status.state !== 'halted'));
}

function snapshot(live: readonly LiveModule[]): ReorgContext['moduleStatuses'] {
  const out: ReorgContext['moduleStatuses'] = {};
  for (const m of live) {
    out[moduleName(m)] = { state: m.status.state, block: m.status.block, heartbeatAt: m.status.heartbeatAt };
  }
  return out;
}

function commandsFor(ctx: ReorgContext, steps: readonly StepRecord[]): KindCommand[] {
  return steps.map((s) => ({
    kind: s.kind,
    command: {
      token: ctx.leaderToken,
      reorgId: ctx.reorgId,
      step: s.step,
      targetBlock: ctx.targetBlock,
      newBlockHash: ctx.newBlockHash,
    },
  }));
}

function stepsFor(step: Step, kinds: readonly ModuleKind[], now: Date): StepRecord[] {
  return kinds.map((kind) => ({ step, kind, startedAt: now.toISOString() }));
}

function write(context: ReorgContext, started: readonly StepRecord[], transition: string): Decision {
  return { type: 'write', context, send: commandsFor(context, started), transition };
}

/**
 * Opens a reorg: phase SUSPENDING, with the suspend command for every kind.
 *
 * @example
 * const d = startReorg({ reorgId: 'r1', origin: 'report', targetBlock: 100, newHead: { number: 103, hash: '0xab' } }, 42, obs);
 * // d.context.phase === 'SUSPENDING'; d.send has one suspend per kind
 */
export function startReorg(start: ReorgStart, token: number, obs: Observed): Decision & { type: 'write' } {
  const steps = stepsFor('suspend', MODULE_KINDS, obs.now);
  const context: ReorgContext = {
    reorgId: start.reorgId,
    origin: start.origin,
    targetBlock: start.targetBlock,
    newBlockHash: start.newHead?.hash ?? null,
    phase: 'SUSPENDING',
    moduleStatuses: snapshot(obs.live),
    checkpoint: { keptBlock: start.targetBlock, resumeFrom: start.targetBlock + 1, newHead: start.newHead },
    steps,
    startedAt: obs.now.toISOString(),
    leaderToken: token,
  };
  return write(context, steps, 'SUSPENDING: suspend all') as Decision & { type: 'write' };
}

/**
 * A new leader adopts the context it finds: its token goes into the context and the open steps are
 * sent again (modules answer a repeated (reorgId, step) with their earlier ack).
 *
 * @example
 * const d = takeOver(current, leadership.token, obs); // same phase, same steps, new token
 */
export function takeOver(ctx: ReorgContext, token: number, obs: Observed): Decision & { type: 'write' } {
  const context: ReorgContext = { ...ctx, leaderToken: token, moduleStatuses: snapshot(obs.live) };
  const open = context.steps.filter((s) => s.doneAt === undefined);
  return write(
    context,
    open,
    `${ctx.phase}: taken over, repeating ${open.length} open step(s)`,
  ) as Decision & {
    type: 'write';
  };
}

/**
 * The next move from `ctx` given what the leader observes: mark steps whose awaited modules all
 * acked as done, and when the phase's steps are all done, open the next step or phase.
 *
 * @example
 * const d = next(current, { acks, live, now: new Date() });
 * if (d.type === 'wait') console.log('waiting for', d.waitingFor);
 */
export function next(ctx: ReorgContext, obs: Observed): Decision {
  if (ctx.phase === 'DONE') return { type: 'finish', context: ctx };
  const now = obs.now.toISOString();
  const waitingFor: string[] = [];
  let changed = false;
  const steps = ctx.steps.map((s): StepRecord => {
    if (s.doneAt !== undefined) return s;
    const pending = awaited(obs.live, s.kind, ctx.origin).filter(
      (m) => !obs.acks.has(ackId(s.step, s.kind, m.id)),
    );
    if (pending.length > 0) {
      waitingFor.push(...pending.map(moduleName));
      return s;
    }
    changed = true;
    const prefix = `${s.step}/`;
    const acked = [...obs.acks]
      .filter((a) => a.startsWith(`${prefix}${s.kind}/`))
      .map((a) => a.slice(prefix.length));
    return { ...s, doneAt: now, acked: acked.sort() };
  });
  const base: ReorgContext = { ...ctx, steps, moduleStatuses: snapshot(obs.live) };
  if (waitingFor.length > 0) {
    return changed ? write(base, [], `${ctx.phase}: progress`) : { type: 'wait', waitingFor };
  }
  switch (ctx.phase) {
    case 'SUSPENDING':
      return open(base, 'ROLLING_BACK', stepsFor('rollback', [ROLLBACK_ORDER[0]!], obs.now));
    case 'ROLLING_BACK': {
      const last = steps.at(-1);
      const i = last === undefined ? -1 : ROLLBACK_ORDER.indexOf(last.kind);
      const kind = ROLLBACK_ORDER[i + 1];
      if (kind !== undefined) return open(base, 'ROLLING_BACK', stepsFor('rollback', [kind], obs.now));
      // Under an operator pause the modules acknowledge the end of the reorg and stay suspended.
      const resume: Step = obs.paused === true ? 'pause' : 'restore';
      return open(base, 'RESTORING', stepsFor(resume, MODULE_KINDS, obs.now));
    }
    case 'RESTORING': {
      const done: ReorgContext = {
        ...base,
        phase: 'DONE',
        doneAt: now,
        durationMs: obs.now.getTime() - Date.parse(ctx.startedAt),
      };
      return { type: 'finish', context: done };
    }
  }
}

function open(base: ReorgContext, phase: ReorgContext['phase'], started: StepRecord[]): Decision {
  const context: ReorgContext = { ...base, phase, steps: [...base.steps, ...started] };
  const what = started.map((s) => `${s.step} ${s.kind}`).join(', ');
  return write(context, started, `${phase}: ${what}`);
}

/**
 * The step a context is in, for logs and the CLI: "rollback projector", "suspend (3 kinds)".
 *
 * @example
 * describeOpenSteps(current); // 'rollback projector'
 */
export function describeOpenSteps(ctx: ReorgContext): string {
  const open = ctx.steps.filter((s) => s.doneAt === undefined);
  if (open.length === 0) return '-';
  const step = open[0]!.step;
  return open.length === 1 ? `${step} ${open[0]!.kind}` : `${step} (${open.map((s) => s.kind).join(', ')})`;
}
