export * from './keys';
export * from './values';
