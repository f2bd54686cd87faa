import type { ChainHeader } from '../rpc';

/** What a new header means for the local header chain. */
export type Reconciled =
  | { readonly kind: 'extend' }
  | { readonly kind: 'duplicate' }
  | { readonly kind: 'gap'; readonly missing: number }
  | {
      readonly kind: 'reorg';
      readonly block: number;
      readonly expectedParent: string;
      readonly gotParent: string;
    };

/**
 * Pure: compares a new header with the local chain (headers by number).
 * - duplicate: we already hold this very block;
 * - extend: its parent is our tip's hash;
 * - gap: we do not hold its parent (fetch it first);
 * - reorg: we hold a different block at its parent's height (or a different block at its height).
 *
 * @example reconcile(new Map([[9, h9]]), h10) // { kind: 'extend' } when h10.parentHash === h9.hash
 */
export function reconcile(local: ReadonlyMap<number, ChainHeader>, header: ChainHeader): Reconciled {
  const same = local.get(header.number);
  if (same !== undefined && same.hash === header.hash) return { kind: 'duplicate' };
  const parent = local.get(header.number - 1);
  if (parent === undefined) return { kind: 'gap', missing: header.number - 1 };
  if (parent.hash !== header.parentHash || same !== undefined) {
    return { kind: 'reorg', block: header.number, expectedParent: parent.hash, gotParent: header.parentHash };
  }
  return { kind: 'extend' };
}
