import type { Unit } from './blocks';

/**
 * After a rewind by the coordinator's command for reorg R to block T, the stream still holds the
 * orphaned fork's entries (blocks above T) ahead of R's rollback entry, which ingest appends later:
 * the partition skips blocks above T until it meets that entry.
 */
export interface SkipMarker {
  readonly reorgId: string;
  readonly toBlock: number;
}

/** A partition's reorg marks, stored with its checkpoint so that they survive a restart. */
export interface ReorgMarks {
  /** Set by a rewind by command; cleared by the rollback entry of its reorg (or of any other reorg). */
  readonly skip: SkipMarker | null;
  /** The last reorg this partition rewound for: its rollback entry met again is only passed. */
  readonly lastReorgId: string | null;
}

export const NO_MARKS: ReorgMarks = { skip: null, lastReorgId: null };

/**
 * What the partition does with a unit:
 * - `apply`: fold the block;
 * - `skip`: a block of the orphaned fork (above the skip marker's block): not folded;
 * - `pass`: the rollback entry of a reorg already rewound for (by command, or met before): only move
 *   the checkpoint past it;
 * - `rewind`: any other rollback entry: rewind to its block.
 */
export type UnitAction = 'apply' | 'skip' | 'pass' | 'rewind';

/**
 * Pure: the action for `unit` given the partition's marks.
 *
 * @example
 * actionFor({ skip: { reorgId: 'r1', toBlock: 100 }, lastReorgId: 'r1' }, blockUnit(101)) === 'skip'
 * actionFor({ skip: { reorgId: 'r1', toBlock: 100 }, lastReorgId: 'r1' }, rollbackUnit('r1')) === 'pass'
 */
export function actionFor(marks: ReorgMarks, unit: Unit): UnitAction {
  if (unit.kind === 'block') {
    return marks.skip !== null && unit.seal.blockNumber > marks.skip.toBlock ? 'skip' : 'apply';
  }
  const id = unit.entry.reorgId;
  return marks.skip?.reorgId === id || marks.lastReorgId === id ? 'pass' : 'rewind';
}

/**
 * Pure: the marks after `unit` was handled. A rollback entry (passed, or rewound to) clears the skip
 * marker: the orphaned entries it stood for end there.
 *
 * @example
 * marksAfter({ skip: { reorgId: 'r1', toBlock: 100 }, lastReorgId: 'r1' }, rollbackUnit('r1'))
 * // { skip: null, lastReorgId: 'r1' }
 */
export function marksAfter(marks: ReorgMarks, unit: Unit): ReorgMarks {
  if (unit.kind === 'block') return marks;
  return { skip: null, lastReorgId: unit.entry.reorgId };
}
