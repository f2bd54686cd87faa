import type { Etcd3 } from 'etcd3';
import { readHistory } from '../context';
import { keysFor, leaderValueSchema, parseValue, type RequestName, reorgContextSchema } from '../layout';
import { operatorReorgId } from '../protocol/intake';
import { duration, table } from './format';
import { requester, waitForDelete, waitForPut } from './requests';
import { type ModuleRow, readStatus, type StatusView } from './view';

export interface CommandContext {
  readonly etcd: Etcd3;
  readonly chainId: number;
  readonly json: boolean;
  /** How long a request waits for the leader to act. */
  readonly timeoutMs: number;
  readonly print: (text: string) => void;
}

/** Exit codes: 0 done, 1 the leader did not act (in time), 2 usage or etcd unreachable. */
export type ExitCode = 0 | 1 | 2;

function emit(ctx: CommandContext, json: unknown, human: string): void {
  ctx.print(ctx.json ? JSON.stringify(json, null, 2) : human);
}

function modulesTable(rows: readonly ModuleRow[]): string {
  if (rows.length === 0) return '(no modules registered)';
  return table(
    ['kind', 'id', 'state', 'block', 'lag', 'heartbeat', 'token', 'last reorg', 'detail'],
    rows.map((m) => [
      m.kind,
      m.id,
      m.state,
      String(m.block),
      m.lag === null ? '-' : String(m.lag),
      duration(m.heartbeatAgeMs),
      String(m.lastToken),
      m.lastReorgId ?? '-',
      [m.partitions === null ? '' : `partitions ${m.partitions.join(',') || '-'}`, m.detail ?? '']
        .filter((d) => d !== '')
        .join('; '),
    ]),
  );
}

function statusText(v: StatusView): string {
  const lines: string[] = [];
  const l = v.leader;
  lines.push(
    l
      ? `leader   ${l.id}  token ${l.token}  since ${l.since}  heartbeat ${duration(l.heartbeatAgeMs)} ago  (${l.activity ?? '-'})`
      : 'leader   NONE: no coordinator holds the leader key',
  );
  lines.push(`paused   ${v.paused ? `yes, since ${v.paused.at} (${v.paused.opId})` : 'no'}`);
  const r = v.reorg;
  lines.push(
    r
      ? `reorg    ${r.reorgId} (${r.origin})  ${r.phase}  target ${r.targetBlock}  step ${r.step}  running ${duration(r.runningMs)}` +
          (r.waitingFor.length > 0 ? `  waiting for ${r.waitingFor.join(', ')}` : '')
      : 'reorg    none in progress',
  );
  const last = v.lastReorg;
  lines.push(
    last
      ? `last     ${last.reorgId}  target ${last.targetBlock}  took ${duration(last.durationMs)}  done ${last.doneAt}`
      : 'last     none',
  );
  if (v.pending.reports.length + v.pending.requests.length > 0) {
    lines.push(
      `queued   reports: ${v.pending.reports.join(', ') || '-'}; requests: ${v.pending.requests.join(', ') || '-'}`,
    );
  }
  for (const h of v.halts) {
    lines.push(
      `HALTED   ${h.kind}/${h.id}: ${h.reason}${h.block === undefined ? '' : ` at block ${h.block}`} (${h.at})`,
    );
  }
  lines.push('', modulesTable(v.modules));
  return lines.join('\n');
}

export async function status(ctx: CommandContext): Promise<ExitCode> {
  const view = await readStatus(ctx.etcd, ctx.chainId);
  emit(ctx, view, statusText(view));
  return 0;
}

export async function modules(ctx: CommandContext): Promise<ExitCode> {
  const view = await readStatus(ctx.etcd, ctx.chainId);
  emit(ctx, view.modules, modulesTable(view.modules));
  return 0;
}

export async function reorgs(ctx: CommandContext): Promise<ExitCode> {
  const history = await readHistory(ctx.etcd, ctx.chainId);
  const rows = history.map((c) => [
    c.reorgId,
    c.origin,
    String(c.targetBlock),
    c.checkpoint.newHead ? `${c.checkpoint.newHead.number} ${c.checkpoint.newHead.hash.slice(0, 10)}` : '-',
    c.startedAt,
    duration(c.durationMs),
    String(c.steps.length),
    String(c.leaderToken),
  ]);
  const human =
    rows.length === 0
      ? '(no finished reorgs)'
      : table(['reorg', 'origin', 'target', 'new head', 'started', 'took', 'steps', 'leader token'], rows);
  emit(ctx, history, human);
  return 0;
}

/** pause / resume: put the request, wait until the leader has taken it. */
export async function operatorRequest(ctx: CommandContext, name: 'pause' | 'resume'): Promise<ExitCode> {
  const key = keysFor(ctx.chainId).request(name);
  const res = await ctx.etcd
    .put(key)
    .value(JSON.stringify({ at: new Date().toISOString(), by: requester() }))
    .exec();
  const applied = await waitForDelete(ctx.etcd, key, Number(res.header.revision), ctx.timeoutMs);
  const human = applied
    ? `${name}: sent to every module by the leader`
    : `${name}: requested, but no leader took it within ${ctx.timeoutMs} ms (it stays queued; is a coordinator running, or a reorg in progress?)`;
  emit(ctx, { request: name, applied }, human);
  return applied ? 0 : 1;
}

export async function rollback(ctx: CommandContext, toBlock: number, wait: boolean): Promise<ExitCode> {
  const k = keysFor(ctx.chainId);
  const key = k.request('rollback');
  const value = JSON.stringify({ toBlock, at: new Date().toISOString(), by: requester() });
  const res = await ctx.etcd
    .if(key, 'Create', '==', 0)
    .then(ctx.etcd.put(key).value(value))
    .else(ctx.etcd.get(key))
    .commit();
  if (!res.succeeded) {
    const waiting = res.responses[0]?.response_range?.kvs[0]?.value.toString() ?? '?';
    emit(
      ctx,
      { error: 'a rollback request is already queued', queued: waiting },
      `error: a rollback request is already queued: ${waiting}`,
    );
    return 1;
  }
  const revision = Number(res.header.revision);
  const reorgId = operatorReorgId(revision);
  const started = await waitForDelete(ctx.etcd, key, revision, ctx.timeoutMs);
  if (!started) {
    emit(
      ctx,
      { reorgId, toBlock, state: 'queued' },
      `rollback ${reorgId} to block ${toBlock}: queued, not started within ${ctx.timeoutMs} ms`,
    );
    return 1;
  }
  if (!wait) {
    emit(ctx, { reorgId, toBlock, state: 'started' }, `rollback ${reorgId} to block ${toBlock}: started`);
    return 0;
  }
  const done = await waitForPut(ctx.etcd, k.historyOf(reorgId), ctx.timeoutMs, (v) =>
    parseValue(reorgContextSchema, v),
  );
  if (done === undefined) {
    emit(
      ctx,
      { reorgId, toBlock, state: 'running' },
      `rollback ${reorgId}: started, not DONE within ${ctx.timeoutMs} ms`,
    );
    return 1;
  }
  emit(
    ctx,
    { reorgId, toBlock, state: 'done', durationMs: done.durationMs ?? null },
    `rollback ${reorgId} to block ${toBlock}: DONE in ${duration(done.durationMs)}`,
  );
  return 0;
}

export async function resign(ctx: CommandContext): Promise<ExitCode> {
  const k = keysFor(ctx.chainId);
  const res = await ctx.etcd.get(k.leader).exec();
  const kv = res.kvs[0];
  if (kv === undefined) {
    emit(ctx, { error: 'no leader' }, 'error: no coordinator is leader; nothing to resign');
    return 1;
  }
  const token = Number(kv.create_revision);
  const before = parseValue(leaderValueSchema, kv.value.toString());
  const name: RequestName = 'resign';
  await ctx.etcd
    .put(k.request(name))
    .value(JSON.stringify({ at: new Date().toISOString(), by: requester(), token }));
  const after = await waitForPut(ctx.etcd, k.leader, ctx.timeoutMs, (v, rev) =>
    rev !== token ? { token: rev, id: parseValue(leaderValueSchema, v)?.id ?? '?' } : undefined,
  );
  if (after === undefined) {
    emit(
      ctx,
      { resigned: false, from: { id: before?.id, token } },
      `resign: ${before?.id} (token ${token}) did not hand over within ${ctx.timeoutMs} ms`,
    );
    return 1;
  }
  emit(
    ctx,
    { resigned: true, from: { id: before?.id ?? null, token }, to: after },
    after.id === before?.id
      ? `resign: ${after.id} resigned (token ${token}) but no other coordinator took over; it leads again (token ${after.token})`
      : `resign: ${before?.id} (token ${token}) handed over; ${after.id} leads now (token ${after.token})`,
  );
  return 0;
}
