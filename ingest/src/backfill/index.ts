export * from './backfill';
export * from './catch-up';
export * from './fetch';
export * from './progress';
