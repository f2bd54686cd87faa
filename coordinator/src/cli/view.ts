import type { Etcd3 } from 'etcd3';
import { type Entry, readAll } from '../connect';
import {
  ackSchema,
  type Halt,
  haltSchema,
  heartbeatSchema,
  keysFor,
  leaderValueSchema,
  type ModuleKind,
  parseValue,
  pausedSchema,
  type ReorgContext,
  reorgContextSchema,
  type Step,
} from '../layout';
import { parseModules } from '../modules';
import { ackId, describeOpenSteps, next } from '../protocol/machine';
import { ageOf } from './format';

/** What `tickstream status --json` prints. */
export interface StatusView {
  readonly chainId: number;
  readonly leader: {
    readonly id: string;
    readonly token: number;
    readonly since: string;
    readonly heartbeatAgeMs: number | null;
    readonly activity: string | null;
  } | null;
  readonly paused: { readonly at: string; readonly opId: string } | null;
  readonly reorg: {
    readonly reorgId: string;
    readonly origin: string;
    readonly phase: string;
    readonly targetBlock: number;
    readonly step: string;
    readonly waitingFor: readonly string[];
    readonly runningMs: number | null;
    readonly leaderToken: number;
  } | null;
  readonly lastReorg: {
    readonly reorgId: string;
    readonly targetBlock: number;
    readonly durationMs: number | null;
    readonly doneAt: string | null;
  } | null;
  readonly modules: readonly ModuleRow[];
  readonly halts: readonly Halt[];
  readonly pending: { readonly reports: readonly string[]; readonly requests: readonly string[] };
}

export interface ModuleRow {
  readonly kind: ModuleKind;
  readonly id: string;
  readonly state: string;
  readonly block: number;
  readonly lag: number | null;
  readonly heartbeatAgeMs: number | null;
  readonly lastToken: number;
  readonly lastReorgId: string | null;
  readonly detail: string | null;
  /** The partitions a projector process runs (etcd assignment), else null. */
  readonly partitions: readonly string[] | null;
}

/**
 * Reads everything `status` shows, at one revision.
 *
 * @example
 * const view = await readStatus(etcd, 31337);
 * console.log(view.leader?.id, view.reorg?.phase);
 */
export async function readStatus(etcd: Etcd3, chainId: number, now = Date.now()): Promise<StatusView> {
  const k = keysFor(chainId);
  const snap = await readAll(etcd, [
    { key: k.leader },
    { key: k.heartbeat },
    { key: k.paused },
    { key: k.current },
    { prefix: k.modules },
    { prefix: k.acks },
    { prefix: k.halts },
    { prefix: k.reports },
    { prefix: k.requests },
    { prefix: k.history },
  ]);
  const [
    leaderKv,
    beatKv,
    pausedKv,
    currentKv,
    moduleKvs,
    ackKvs,
    haltKvs,
    reportKvs,
    requestKvs,
    historyKvs,
  ] = snap!.results as Entry[][];
  const leaderEntry = leaderKv?.[0];
  const leaderValue = leaderEntry ? parseValue(leaderValueSchema, leaderEntry.value) : undefined;
  const beat = beatKv?.[0] ? parseValue(heartbeatSchema, beatKv[0].value) : undefined;
  const leader =
    leaderEntry && leaderValue
      ? {
          id: leaderValue.id,
          token: leaderEntry.createRevision,
          since: leaderValue.since,
          heartbeatAgeMs: beat?.token === leaderEntry.createRevision ? ageOf(beat.at, now) : null,
          activity: beat?.token === leaderEntry.createRevision ? beat.phase : null,
        }
      : null;
  const { modules: live } = parseModules(moduleKvs ?? [], chainId);
  const current = currentKv?.[0] ? parseValue(reorgContextSchema, currentKv[0].value) : undefined;
  const history = (historyKvs ?? [])
    .map((e) => parseValue(reorgContextSchema, e.value))
    .filter((c): c is ReorgContext => c !== undefined)
    .sort((a, b) => Date.parse(b.startedAt) - Date.parse(a.startedAt));
  const last = history[0];
  return {
    chainId,
    leader,
    paused: pausedKv?.[0] ? (parseValue(pausedSchema, pausedKv[0].value) ?? null) : null,
    reorg: current ? reorgRow(current, ackKvs ?? [], live, k.acksOf(current.reorgId), now) : null,
    lastReorg: last
      ? {
          reorgId: last.reorgId,
          targetBlock: last.targetBlock,
          durationMs: last.durationMs ?? null,
          doneAt: last.doneAt ?? null,
        }
      : null,
    modules: live.map((m) => ({
      kind: m.kind,
      id: m.id,
      state: m.status.state,
      block: m.status.block,
      lag: m.status.lag ?? null,
      heartbeatAgeMs: ageOf(m.status.heartbeatAt, now),
      lastToken: m.status.lastToken,
      lastReorgId: m.status.lastReorgId,
      detail: m.status.detail ?? null,
      partitions: m.status.partitions ?? null,
    })),
    halts: (haltKvs ?? [])
      .map((e) => parseValue(haltSchema, e.value))
      .filter((h): h is Halt => h !== undefined),
    pending: {
      reports: (reportKvs ?? []).map((e) => e.key.slice(k.reports.length)),
      requests: (requestKvs ?? []).map((e) => e.key.slice(k.requests.length)),
    },
  };
}

function reorgRow(
  ctx: ReorgContext,
  ackKvs: readonly Entry[],
  live: Parameters<typeof next>[1]['live'],
  prefix: string,
  now: number,
): NonNullable<StatusView['reorg']> {
  const acks = new Set<string>();
  for (const e of ackKvs) {
    if (!e.key.startsWith(prefix) || !parseValue(ackSchema, e.value)?.ok) continue;
    const [step, kind, id] = e.key.slice(prefix.length).split('/');
    if (step && kind && id) acks.add(ackId(step as Step, kind as ModuleKind, id));
  }
  const d = next(ctx, { acks, live, now: new Date(now) });
  return {
    reorgId: ctx.reorgId,
    origin: ctx.origin,
    phase: ctx.phase,
    targetBlock: ctx.targetBlock,
    step: describeOpenSteps(ctx),
    waitingFor: d.type === 'wait' ? d.waitingFor : [],
    runningMs: ageOf(ctx.startedAt, now),
    leaderToken: ctx.leaderToken,
  };
}
