export * from './backfill';
export * from './fetch';
export * from './progress';
