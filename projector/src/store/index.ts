/** Postgres (the truth: one transaction per batch, checkpoint compare-and-set) and Redis (latest state). */
export * from './arrays';
export * from './checkpoint';
export * from './finality';
export * from './load';
export * from './redis';
export * from './rewind';
export * from './schema';
export * from './snapshot-cache';
export * from './snapshots';
export * from './write';
