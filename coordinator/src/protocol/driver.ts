import { setTimeout as delay } from 'node:timers/promises';
import { describeError, isTickstreamError, type Logger } from '@tickstream/shared';
import type { Etcd3, Watcher } from 'etcd3';
import { finishOps, stepOps } from '../context';
import { fencedWrite, type Leadership, type WriteOp } from '../election';
import { type Command, type Keys, keysFor, MODULE_KINDS, type ReorgContext } from '../layout';
import { pickNext } from './intake';
import { type Decision, describeOpenSteps, next, type Observed, startReorg, takeOver } from './machine';
import { type Change, type LeaderView, observe, wakesLeader } from './observe';

export interface DriverOptions {
  readonly log: Logger;
  /** Re-read etcd at least this often even without a watch event (a safety net, not an ordering). */
  readonly pollMs: number;
  /** Aborted on shutdown. */
  readonly signal: AbortSignal;
}

/** How a term of the driver ended. */
export type DriverOutcome = 'ended' | 'resign' | 'stopped';

/**
 * Runs the reorg protocol while `leadership` lasts: read the view (fenced), decide with the pure
 * machine, write the result (fenced) and decide again at once; when there is nothing to write, wait for
 * the next change under `/tickstream/<chainId>/` that can alter the decision (`wakesLeader`).
 * Returns 'resign' when an operator asked this leader to hand over, 'ended' when the term ended,
 * 'stopped' on shutdown.
 *
 * @example
 * const outcome = await runLeader(etcd, leadership, { log, pollMs: 3_000, signal: stop.signal });
 */
export async function runLeader(
  etcd: Etcd3,
  leadership: Leadership,
  opts: DriverOptions,
): Promise<DriverOutcome> {
  const keys = keysFor(leadership.chainId);
  const wake = new Wake();
  let watcher: Watcher | undefined;
  const stopped = () => opts.signal.aborted || !leadership.active;
  const onAbort = () => wake.fire();
  opts.signal.addEventListener('abort', onAbort);
  leadership.signal.addEventListener('abort', onAbort);
  try {
    for (let failures = 0; !stopped(); ) {
      try {
        const view = await observe(etcd, leadership, keys);
        if (view === undefined) {
          leadership.end('a fenced read found the leader key gone or taken');
          break;
        }
        if (watcher === undefined) watcher = await watchRoot(etcd, keys, view.revision, wake);
        const acted = await step(etcd, leadership, keys, view, opts.log);
        failures = 0;
        if (acted === 'resign') return 'resign';
        if (acted === 'wrote') continue;
        await wake.wait(opts.pollMs);
      } catch (err) {
        if (isTickstreamError(err, 'FENCED')) {
          opts.log.warn(
            { code: 'FENCED', token: leadership.token, refusedWrites: leadership.stats.refused },
            'write refused: no longer the leader',
          );
          break;
        }
        failures++;
        opts.log.warn({ err: describeError(err), failures }, 'leader step failed; retrying');
        await delay(Math.min(1_000, 50 * 2 ** Math.min(failures, 5)), undefined, {
          signal: opts.signal,
        }).catch(() => {});
      }
    }
    return opts.signal.aborted ? 'stopped' : 'ended';
  } finally {
    opts.signal.removeEventListener('abort', onAbort);
    leadership.signal.removeEventListener('abort', onAbort);
    await watcher?.cancel().catch(() => undefined);
  }
}

/** One decision and its fenced write. */
async function step(
  etcd: Etcd3,
  leadership: Leadership,
  keys: Keys,
  view: LeaderView,
  log: Logger,
): Promise<'wrote' | 'idle' | 'resign'> {
  const write = (ops: WriteOp[]) => fencedWrite(etcd, leadership, ops);
  const badRequests = view.malformed.filter((k) => k.startsWith(keys.requests));
  if (badRequests.length > 0) {
    log.warn({ keys: badRequests }, 'deleting malformed operator requests');
    await write(badRequests.map((k) => ({ delete: k })));
    return 'wrote';
  }
  if (view.resign !== undefined) {
    await write([{ delete: view.resign.key }]);
    if (view.resign.token === undefined || view.resign.token === leadership.token) return 'resign';
    return 'wrote';
  }
  const obs = { acks: view.acks, live: view.live, now: new Date(), paused: view.paused !== undefined };
  if (view.current !== undefined) {
    const ctx = view.current;
    const decision: Decision =
      ctx.leaderToken === leadership.token ? next(ctx, obs) : takeOver(ctx, leadership.token, obs);
    leadership.activity = `${ctx.reorgId} ${ctx.phase} ${describeOpenSteps(ctx)}`;
    if (decision.type === 'wait') {
      log.debug(
        { reorgId: ctx.reorgId, phase: ctx.phase, waitingFor: decision.waitingFor },
        'waiting for acks',
      );
      return 'idle';
    }
    if (decision.type === 'write') {
      await write(stepOps(keys, decision.context, decision.send));
      log.info(
        {
          reorgId: ctx.reorgId,
          phase: decision.context.phase,
          transition: decision.transition,
          sinceStartMs: obs.now.getTime() - Date.parse(ctx.startedAt),
          token: leadership.token,
        },
        'reorg step',
      );
      return settled(decision.context, obs);
    }
    // Under a pause RESTORING sent `pause`, so the modules are suspended already; the broadcast keys get
    // a pause of its own (acks under `op-`) so that a module starting before `resume` pauses too.
    const repause: Command | undefined = view.paused
      ? { token: leadership.token, reorgId: `${view.paused.opId}-after-${ctx.reorgId}`, step: 'pause' }
      : undefined;
    await write(finishOps(keys, decision.context, repause));
    leadership.activity = 'idle';
    log.info(
      {
        reorgId: ctx.reorgId,
        targetBlock: ctx.targetBlock,
        durationMs: decision.context.durationMs,
        steps: decision.context.steps.map((s) => ({
          step: s.step,
          kind: s.kind,
          ms: s.doneAt ? Date.parse(s.doneAt) - Date.parse(s.startedAt) : null,
        })),
        token: leadership.token,
      },
      'reorg done',
    );
    return 'wrote';
  }
  const intake = pickNext(view.pending);
  if (intake === undefined) {
    leadership.activity = 'idle';
    return 'idle';
  }
  if (intake.type === 'reorg') {
    const d = startReorg(intake.start, leadership.token, obs);
    await write([...stepOps(keys, d.context, d.send), { delete: intake.consume }]);
    leadership.activity = `${d.context.reorgId} SUSPENDING`;
    log.info(
      {
        reorgId: d.context.reorgId,
        origin: d.context.origin,
        targetBlock: d.context.targetBlock,
        token: leadership.token,
      },
      'reorg started',
    );
    return settled(d.context, obs);
  }
  const command: Command = { token: leadership.token, reorgId: intake.opId, step: intake.type };
  await write([
    { deletePrefix: keys.opAcks },
    ...MODULE_KINDS.map((kind) => ({ put: keys.broadcast(kind), value: command })),
    intake.type === 'pause'
      ? { put: keys.paused, value: { at: obs.now.toISOString(), opId: intake.opId } }
      : { delete: keys.paused },
    { delete: intake.consume },
  ]);
  log.info({ op: intake.type, opId: intake.opId, token: leadership.token }, `operator ${intake.type} sent`);
  return 'wrote';
}

/**
 * After writing `context`: 'idle' when the machine, given the same observation, would only wait (the
 * acks of the steps just sent cannot be in it), so the driver waits for a change instead of reading
 * its view again at once; 'wrote' when there is more to do already (e.g. a new leader repeating steps
 * that were acknowledged).
 */
function settled(context: ReorgContext, obs: Observed): 'wrote' | 'idle' {
  return next(context, obs).type === 'wait' ? 'idle' : 'wrote';
}

async function watchRoot(etcd: Etcd3, keys: Keys, revision: number, wake: Wake): Promise<Watcher> {
  const watcher = await etcd
    .watch()
    .prefix(keys.root)
    .startRevision(String(revision + 1))
    .create();
  watcher.on('data', (res) => {
    const changes = res.events.map(
      (e): Change => ({
        type: e.type === 'Delete' ? 'delete' : 'put',
        key: e.kv.key.toString(),
        value: e.kv.value.toString(),
        createRevision: Number(e.kv.create_revision),
        modRevision: Number(e.kv.mod_revision),
      }),
    );
    if (changes.some((c) => wakesLeader(keys, c))) wake.fire();
  });
  watcher.on('error', () => wake.fire());
  return watcher;
}

/** A level-triggered wake-up: `fire()` before `wait()` is not lost. */
class Wake {
  #fired = false;
  #resolve: (() => void) | undefined;

  fire(): void {
    this.#fired = true;
    this.#resolve?.();
  }

  async wait(timeoutMs: number): Promise<void> {
    if (!this.#fired) {
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, timeoutMs);
        this.#resolve = () => {
          clearTimeout(timer);
          resolve();
        };
      });
    }
    this.#fired = false;
    this.#resolve = undefined;
  }
}
