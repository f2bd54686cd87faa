export * from './ancestor';
export * from './control';
export * from './gate';
export * from './rollback';
export * from './watches';
