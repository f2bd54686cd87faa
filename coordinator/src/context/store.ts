import type { Etcd3 } from 'etcd3';
import type { WriteOp } from '../election';
import {
  type Command,
  type Keys,
  keysFor,
  MODULE_KINDS,
  parseValue,
  type ReorgContext,
  reorgContextSchema,
} from '../layout';
import type { KindCommand } from '../protocol/machine';

/**
 * The reorg context in etcd: `/reorg/current` while a reorg runs, `/reorg/history/<reorgId>` once it is
 * DONE. The context and the commands of a step are written in one fenced transaction, so a command is
 * never visible without the context that explains it, and a new leader finds the step to repeat.
 */

/**
 * The ops that write `context` as current together with `send` (to each kind's broadcast key).
 *
 * @example
 * await fencedWrite(etcd, leadership, stepOps(keys, decision.context, decision.send));
 */
export function stepOps(keys: Keys, context: ReorgContext, send: readonly KindCommand[]): WriteOp[] {
  return [
    { put: keys.current, value: context },
    ...send.map((c) => ({ put: keys.broadcast(c.kind), value: c.command })),
  ];
}

/**
 * The ops that close a DONE reorg: history entry, no current, its acks, report and broadcast commands
 * gone. When an operator pause is in force, the broadcast keys get `pause` again instead (restore
 * resumed the modules; the operator's pause still holds).
 *
 * @example
 * await fencedWrite(etcd, leadership, finishOps(keys, done, pauseCommand));
 */
export function finishOps(keys: Keys, context: ReorgContext, repause?: Command): WriteOp[] {
  const ops: WriteOp[] = [
    { put: keys.historyOf(context.reorgId), value: context },
    { delete: keys.current },
    { deletePrefix: keys.acksOf(context.reorgId) },
    { delete: keys.report(context.reorgId) },
  ];
  for (const kind of MODULE_KINDS) {
    ops.push(repause ? { put: keys.broadcast(kind), value: repause } : { delete: keys.broadcast(kind) });
  }
  return ops;
}

/**
 * The reorg in progress, if any.
 *
 * @example
 * const current = await readCurrent(etcd, 31337); // undefined when idle
 */
export async function readCurrent(etcd: Etcd3, chainId: number): Promise<ReorgContext | undefined> {
  const text = await etcd.get(keysFor(chainId).current).string();
  return text === null ? undefined : parseValue(reorgContextSchema, text);
}

/**
 * Finished reorgs, newest first.
 *
 * @example
 * const [last] = await readHistory(etcd, 31337);
 */
export async function readHistory(etcd: Etcd3, chainId: number): Promise<ReorgContext[]> {
  const values = await etcd.getAll().prefix(keysFor(chainId).history).strings();
  return Object.values(values)
    .map((v) => parseValue(reorgContextSchema, v))
    .filter((c): c is ReorgContext => c !== undefined)
    .sort((a, b) => Date.parse(b.startedAt) - Date.parse(a.startedAt));
}
