export * from './keys';
export * from './partitions';
export * from './values';
export * from './watch';
