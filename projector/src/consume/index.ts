export * from './blocks';
export * from './feed';
export * from './marks';
