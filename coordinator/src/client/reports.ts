import type { Etcd3 } from 'etcd3';
import { isKeySegment, keysFor, type ModuleKind, type Report } from '../layout';
import { assertModuleRef } from '../modules';

export interface ReportReorgParams {
  readonly chainId: number;
  /** Chosen by the reporter, stable across retries (e.g. `r-<newHead.number>-<hash prefix>`). */
  readonly reorgId: string;
  /** The last block both forks share: everything above it is rolled back. */
  readonly targetBlock: number;
  readonly newHead: { readonly number: number; readonly hash: string };
  /** `kind/id` of the reporter, for the record. */
  readonly reporter?: string;
}

/**
 * Reports a reorg to the coordinator at `/reports/<reorgId>`. Idempotent: a report whose id is
 * already waiting, running or done is not stored again (`accepted: false`).
 *
 * @example
 * await reportReorg(etcd, { chainId: 31337, reorgId: 'r-105-0xab12', targetBlock: 100, newHead: { number: 105, hash: '0xab12…' } });
 */
export async function reportReorg(etcd: Etcd3, params: ReportReorgParams): Promise<{ accepted: boolean }> {
  if (!isKeySegment(params.reorgId) || params.reorgId.startsWith('op-')) {
    throw new Error(
      `reorgId must be letters, digits, . _ : - and not start with "op-", got ${JSON.stringify(params.reorgId)}`,
    );
  }
  const k = keysFor(params.chainId);
  const report: Report = {
    reorgId: params.reorgId,
    targetBlock: params.targetBlock,
    newHead: { number: params.newHead.number, hash: params.newHead.hash },
    ...(params.reporter === undefined ? {} : { reporter: params.reporter }),
    at: new Date().toISOString(),
  };
  const res = await etcd
    .if(k.report(params.reorgId), 'Create', '==', 0)
    .and(k.historyOf(params.reorgId), 'Create', '==', 0)
    .then(etcd.put(k.report(params.reorgId)).value(JSON.stringify(report)))
    .commit();
  return { accepted: res.succeeded };
}

export interface ReportHaltParams {
  readonly chainId: number;
  readonly kind: ModuleKind;
  readonly id: string;
  /** What happened, for the operator ("reorg deeper than finality: 80 > 64 blocks"). */
  readonly reason: string;
  readonly block?: number;
  readonly detail?: Record<string, unknown>;
}

/**
 * Records that a module halted and needs an operator, at `/halts/<kind>/<id>` (kept until cleared):
 * `tickstream status` shows it. Also set the module's own state: `handle.update({ state: 'halted' })`.
 *
 * @example
 * await reportHalt(etcd, { chainId: 31337, kind: 'ingest', id: 'i0', reason: 'REORG_TOO_DEEP: 80 > 64', block: 1234 });
 */
export async function reportHalt(etcd: Etcd3, params: ReportHaltParams): Promise<void> {
  assertModuleRef(params.kind, params.id);
  const { chainId, ...halt } = params;
  await etcd
    .put(keysFor(chainId).halt(params.kind, params.id))
    .value(JSON.stringify({ ...halt, at: new Date().toISOString() }));
}

/**
 * Removes a module's halt record (once the operator has dealt with it).
 *
 * @example
 * await clearHalt(etcd, { chainId: 31337, kind: 'ingest', id: 'i0' });
 */
export async function clearHalt(
  etcd: Etcd3,
  params: { chainId: number; kind: ModuleKind; id: string },
): Promise<void> {
  await etcd.delete().key(keysFor(params.chainId).halt(params.kind, params.id));
}
