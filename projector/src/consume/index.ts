export * from './blocks';
export * from './feed';
export * from './head';
export * from './marks';
