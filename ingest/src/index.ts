export * from './backfill';
export * from './follow';
export * from './publish';
export * from './route';
export * from './rpc';
export * from './service';
export * from './store';
