export * from './client';
export * from './requests';
export * from './retry';
export * from './validate';
