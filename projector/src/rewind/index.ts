/** Rewinding a partition to a block: newest snapshot at or below it, replay of the ledger since, one transaction. */
export * from './collect';
export * from './replay';
export * from './rewind';
