export * from './deps';
export * from './resume';
export * from './run';
export * from './watch';
