import type { Report } from '../layout';
import type { ReorgStart } from './machine';

/** A waiting input of the leader, with the create revision of its key (the queue order). */
export type Pending =
  | { readonly type: 'report'; readonly key: string; readonly revision: number; readonly report: Report }
  | { readonly type: 'rollback'; readonly key: string; readonly revision: number; readonly toBlock: number }
  | { readonly type: 'pause' | 'resume'; readonly key: string; readonly revision: number };

/** What the leader does next when no reorg is in progress. */
export type Intake =
  | { readonly type: 'reorg'; readonly start: ReorgStart; readonly consume: string }
  | { readonly type: 'pause' | 'resume'; readonly opId: string; readonly consume: string };

const OPERATOR_ROLLBACK = 'op-rollback-';

/** The reorg id of an operator rollback: derived from its request's create revision (the CLI knows it). */
export function operatorReorgId(revision: number): string {
  return `${OPERATOR_ROLLBACK}${revision}`;
}

/**
 * True for the id of an operator's rollback (module reports cannot use the `op-` prefix).
 *
 * @example
 * isOperatorReorg('op-rollback-9'); // true
 * isOperatorReorg('r-105-0xab12'); // false
 */
export function isOperatorReorg(reorgId: string): boolean {
  return reorgId.startsWith(OPERATOR_ROLLBACK);
}

/**
 * Picks the oldest waiting input (first come, first served by create revision). Reorg reports that
 * arrive while a reorg runs therefore wait and run afterwards, one by one, each with its own
 * targetBlock (we queue rather than merge: a merge would have to redo rollbacks already acked).
 * Pause and resume also wait for a running reorg to finish.
 *
 * @example
 * pickNext([{ type: 'rollback', key, revision: 9, toBlock: 100 }]);
 * // { type: 'reorg', start: { reorgId: 'op-rollback-9', origin: 'operator', targetBlock: 100, newHead: null }, consume: key }
 */
export function pickNext(pending: readonly Pending[]): Intake | undefined {
  const first = [...pending].sort((a, b) => a.revision - b.revision)[0];
  if (first === undefined) return undefined;
  switch (first.type) {
    case 'report':
      return {
        type: 'reorg',
        start: {
          reorgId: first.report.reorgId,
          origin: 'report',
          targetBlock: first.report.targetBlock,
          newHead: first.report.newHead,
        },
        consume: first.key,
      };
    case 'rollback':
      return {
        type: 'reorg',
        start: {
          reorgId: operatorReorgId(first.revision),
          origin: 'operator',
          targetBlock: first.toBlock,
          newHead: null,
        },
        consume: first.key,
      };
    default:
      return { type: first.type, opId: `op-${first.type}-${first.revision}`, consume: first.key };
  }
}
