export * from './binary-log';
export * from './codec';
export * from './entry';
export * from './position';
export * from './subjects';
