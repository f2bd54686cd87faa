import type { Etcd3 } from 'etcd3';
import { type Entry, readAll } from '../connect';
import type { Leadership } from '../election';
import {
  ackSchema,
  type Keys,
  type ModuleKind,
  moduleStatusSchema,
  parseValue,
  pausedSchema,
  type ReorgContext,
  reorgContextSchema,
  reportSchema,
  rollbackRequestSchema,
  type Step,
  simpleRequestSchema,
} from '../layout';
import { type LiveModule, parseModules } from '../modules';
import type { Pending } from './intake';
import { ackId } from './machine';

/** Everything the leader decides on, read in one fenced transaction (one revision). */
export interface LeaderView {
  readonly revision: number;
  readonly current: ReorgContext | undefined;
  readonly live: readonly LiveModule[];
  /** Ok acks of the current reorg, as `step/kind/id`. */
  readonly acks: ReadonlySet<string>;
  readonly pending: readonly Pending[];
  readonly paused: { readonly opId: string } | undefined;
  /** A resign request: its key and the token it names (undefined: whoever leads). */
  readonly resign: { readonly key: string; readonly token: number | undefined } | undefined;
  /** Keys whose values do not parse; requests among them are deleted by the driver. */
  readonly malformed: readonly string[];
}

/**
 * Reads the leader's view, guarded by the fence: undefined when this term no longer holds the key.
 *
 * @example
 * const view = await observe(etcd, leadership, keysFor(31337));
 */
export async function observe(
  etcd: Etcd3,
  leadership: Leadership,
  keys: Keys,
): Promise<LeaderView | undefined> {
  const snap = await readAll(
    etcd,
    [
      { key: keys.current },
      { prefix: keys.modules },
      { prefix: keys.acks },
      { prefix: keys.reports },
      { prefix: keys.requests },
      { key: keys.paused },
    ],
    { key: leadership.key, createRevision: leadership.token },
  );
  if (snap === undefined) return undefined;
  const [currentKv, moduleKvs, ackKvs, reportKvs, requestKvs, pausedKv] = snap.results as Entry[][];
  const malformed: string[] = [];
  const currentEntry = currentKv?.[0];
  const current = currentEntry ? parseValue(reorgContextSchema, currentEntry.value) : undefined;
  if (currentEntry && current === undefined) malformed.push(currentEntry.key);
  const parsedModules = parseModules(moduleKvs ?? [], leadership.chainId);
  malformed.push(...parsedModules.malformed);

  const acks = new Set<string>();
  if (current !== undefined) {
    const prefix = keys.acksOf(current.reorgId);
    for (const e of ackKvs ?? []) {
      if (!e.key.startsWith(prefix)) continue;
      const [step, kind, id] = e.key.slice(prefix.length).split('/');
      const ack = parseValue(ackSchema, e.value);
      if (step && kind && id && ack?.ok) acks.add(ackId(step as Step, kind as ModuleKind, id));
    }
  }

  const pending: Pending[] = [];
  for (const e of reportKvs ?? []) {
    const report = parseValue(reportSchema, e.value);
    if (report === undefined) malformed.push(e.key);
    else if (report.reorgId !== current?.reorgId) {
      pending.push({ type: 'report', key: e.key, revision: e.createRevision, report });
    }
  }
  let resign: LeaderView['resign'];
  for (const e of requestKvs ?? []) {
    const name = e.key.slice(keys.requests.length);
    if (name === 'rollback') {
      const req = parseValue(rollbackRequestSchema, e.value);
      if (req === undefined) malformed.push(e.key);
      else pending.push({ type: 'rollback', key: e.key, revision: e.createRevision, toBlock: req.toBlock });
    } else if (name === 'pause' || name === 'resume' || name === 'resign') {
      const req = parseValue(simpleRequestSchema, e.value);
      if (req === undefined) malformed.push(e.key);
      else if (name === 'resign') resign = { key: e.key, token: req.token };
      else pending.push({ type: name, key: e.key, revision: e.createRevision });
    }
  }
  const pausedEntry = pausedKv?.[0];
  const paused = pausedEntry ? parseValue(pausedSchema, pausedEntry.value) : undefined;
  return {
    revision: snap.revision,
    current,
    live: parsedModules.modules,
    acks,
    pending,
    paused,
    resign,
    malformed,
  };
}

/** One change under `/tickstream/<chainId>/`, as a watch reports it. */
export interface Change {
  readonly type: 'put' | 'delete';
  readonly key: string;
  readonly value: string;
  readonly createRevision: number;
  readonly modRevision: number;
}

/**
 * Whether a change can alter the leader's next decision, so that it must read its view again: what
 * others write that the leader decides on. That is an ack, a report or an operator request; a module
 * that appears, disappears or halts (a halted module is not awaited by a reported reorg). Not: the
 * leader's own keys (context, commands, history, pause, heartbeat), deletions it made, or a module's
 * status refresh (heartbeat, progress, the status after each step), which would only cost reads.
 *
 * @example
 * watcher.on('data', (res) => { if (res.events.some((e) => wakesLeader(keys, toChange(e)))) wake.fire(); });
 */
export function wakesLeader(keys: Keys, c: Change): boolean {
  if (c.key.startsWith(keys.modules)) {
    if (c.type === 'delete' || c.createRevision === c.modRevision) return true;
    return parseValue(moduleStatusSchema, c.value)?.state === 'halted';
  }
  if (c.type === 'delete') return false;
  return c.key.startsWith(keys.acks) || c.key.startsWith(keys.reports) || c.key.startsWith(keys.requests);
}
