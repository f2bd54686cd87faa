/** Postgres (the truth: one transaction per batch, checkpoint compare-and-set) and Redis (latest state). */
export * from './arrays';
export * from './checkpoint';
export * from './load';
export * from './redis';
export * from './schema';
export * from './write';
