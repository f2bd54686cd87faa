export type Hex = `0x${string}`;

/**
 * Where a log sits on the chain. With the block hash it identifies one log of one fork; ordering is by
 * (blockNumber, txIndex, logIndex) — logIndex alone orders logs within a block.
 */
export interface LedgerPosition {
  readonly blockNumber: number;
  readonly txIndex: number;
  readonly logIndex: number;
}

export interface BlockRef {
  readonly number: number;
  readonly hash: Hex;
}

/** Negative when `a` comes first, 0 when equal, positive when `b` comes first. */
export function comparePositions(a: LedgerPosition, b: LedgerPosition): number {
  return a.blockNumber - b.blockNumber || a.txIndex - b.txIndex || a.logIndex - b.logIndex;
}

/**
 * A fixed-width decimal key that sorts like `comparePositions` (block: 12 digits, tx: 6, log: 6).
 *
 * @example positionKey({ blockNumber: 7, txIndex: 1, logIndex: 3 }) === '000000000007000001000003'
 */
export function positionKey(p: LedgerPosition): string {
  return (
    String(p.blockNumber).padStart(12, '0') +
    String(p.txIndex).padStart(6, '0') +
    String(p.logIndex).padStart(6, '0')
  );
}
