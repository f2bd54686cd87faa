export * from './driver';
export * from './intake';
export * from './machine';
export * from './observe';
