export * from './blocks';
export * from './feed';
