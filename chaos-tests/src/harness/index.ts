export * from './caught-up';
export * from './cluster';
export * from './control';
export * from './logs';
export * from './vitest';
