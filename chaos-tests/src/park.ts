import { keysFor, type ModuleKind, type Phase, type ReorgContext } from '@tickstream/coordinator';
import { waitFor } from '@tickstream/deploy/local';
import type { Cluster, PipelineName } from './harness/cluster';

/**
 * Parks the reorg protocol in a phase with real modules, no sleeps: a SIGSTOPped module cannot
 * acknowledge, so the leader waits for it. Modules are chained as holders: one stopped module holds a
 * phase while the others acknowledge it; then the next one is stopped and the holder resumed, which
 * moves the protocol exactly one phase (or one rollback step) on.
 *
 * - SUSPENDING: the parked module never acknowledged `suspend`.
 * - ROLLING_BACK: parked on `rollback <kind>` (the projector when registered, else ingest).
 * - RESTORING: parked on `restore` (`pause` under an operator pause) of a module that acknowledged its
 *   rollback.
 *
 * A SIGSTOPped module whose registration lease lapses is no longer waited for: the modules' lease
 * (`MODULE_LEASE_TTL_S`) must outlive the park.
 */
export interface Parked {
  readonly phase: Phase;
  readonly context: ReorgContext;
  /** The module left SIGSTOPped (SIGCONT it to let the protocol go on). */
  readonly stopped: PipelineName;
  /** What it is waiting for: `step kind`. */
  readonly waitingOn: string;
}

/** `kind/id` acks of a step of a reorg, from etcd. */
async function acked(cluster: Cluster, reorgId: string, step: string): Promise<Set<ModuleKind>> {
  const prefix = `${keysFor(cluster.chainId).acksOf(reorgId)}${step}/`;
  const kvs = await cluster.etcd.getAll().prefix(prefix).strings();
  const out = new Set<ModuleKind>();
  for (const [key, value] of Object.entries(kvs)) {
    if (!value.includes('"ok":true')) continue;
    const kind = key.slice(prefix.length).split('/')[0] as ModuleKind;
    out.add(kind);
  }
  return out;
}

async function waitAcks(cluster: Cluster, reorgId: string, step: string, kinds: readonly ModuleKind[]) {
  await waitFor(
    async () => {
      const got = await acked(cluster, reorgId, step);
      return kinds.every((k) => got.has(k));
    },
    {
      timeoutMs: 60_000,
      what: `${kinds.join(', ')} to acknowledge ${step} of ${reorgId}`,
      maxIntervalMs: 20,
    },
  );
}

async function waitOpenStep(cluster: Cluster, phase: Phase, steps: readonly string[], kind: ModuleKind) {
  return waitFor(
    async () => {
      const c = await cluster.currentReorg();
      if (c === null || c.phase !== phase) return undefined;
      const open = c.steps.filter((s) => s.doneAt === undefined);
      return open.some((s) => steps.includes(s.step) && s.kind === kind) ? c : undefined;
    },
    {
      timeoutMs: 60_000,
      what: `the reorg in ${phase} waiting on ${steps.join('/')} ${kind}`,
      maxIntervalMs: 20,
    },
  );
}

/** Registered module kinds. */
async function registeredKinds(cluster: Cluster): Promise<Set<ModuleKind>> {
  return new Set((await cluster.modules()).map((m) => m.kind));
}

async function parkRestoring(cluster: Cluster, reorgId: string, kinds: Set<ModuleKind>): Promise<Parked> {
  const before = [...kinds].filter((k) => k !== 'ingest');
  await waitAcks(cluster, reorgId, 'rollback', before);
  const last: PipelineName = kinds.has('projector') ? 'projector' : 'api';
  cluster.pause(last);
  cluster.resume('ingest');
  // RESTORING sends restore, or pause while an operator pause holds.
  const ctx = await waitOpenStep(cluster, 'RESTORING', ['restore', 'pause'], last);
  const step = ctx.steps.find((s) => s.doneAt === undefined && s.kind === last)!.step;
  return { phase: 'RESTORING', context: ctx, stopped: last, waitingOn: `${step} ${last}` };
}

/**
 * Starts a reorg with `trigger` (a chain reorg, an operator rollback) and parks it in `phase`. Holders:
 * the projector (or the api) holds SUSPENDING; the api holds suspend so that the projector (or ingest)
 * parks its rollback (ROLLING_BACK); ingest holds its rollback so that a module that rolled back parks
 * its restore (RESTORING). Needs ingest and the api registered; uses the projector when it is.
 *
 * @example
 * const parked = await park(cluster, 'ROLLING_BACK', () => reorgChain(cluster.devnet, { depth: 2 }));
 * await cluster.kill9('c1');
 * cluster.resume(parked.stopped);
 */
export async function park(cluster: Cluster, phase: Phase, trigger: () => Promise<unknown>): Promise<Parked> {
  const kinds = await registeredKinds(cluster);
  for (const k of ['ingest', 'api'] as const)
    if (!kinds.has(k))
      throw new Error(`park: ${k} is not registered with the coordinator (have ${[...kinds]})`);
  const hasProjector = kinds.has('projector');
  if (phase === 'SUSPENDING') {
    const holder: PipelineName = hasProjector ? 'projector' : 'api';
    cluster.pause(holder);
    await trigger();
    const ctx = await cluster.waitForPhase('SUSPENDING');
    return { phase, context: ctx, stopped: holder, waitingOn: `suspend ${holder}` };
  }
  // The api holds suspend; the module to park on rollback is stopped once it acknowledged suspend.
  const rollbackOn: PipelineName = phase === 'ROLLING_BACK' && hasProjector ? 'projector' : 'ingest';
  cluster.pause('api');
  await trigger();
  const ctx = await cluster.waitForPhase('SUSPENDING');
  const reorgId = ctx.reorgId;
  await waitAcks(
    cluster,
    reorgId,
    'suspend',
    [...kinds].filter((k) => k !== 'api'),
  );
  cluster.pause(rollbackOn);
  cluster.resume('api');
  const rolling = await waitOpenStep(cluster, 'ROLLING_BACK', ['rollback'], rollbackOn);
  if (phase === 'ROLLING_BACK')
    return { phase, context: rolling, stopped: rollbackOn, waitingOn: `rollback ${rollbackOn}` };
  return parkRestoring(cluster, reorgId, kinds);
}
