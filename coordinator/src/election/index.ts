export * from './campaign';
export * from './leadership';
