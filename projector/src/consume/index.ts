export * from './blocks';
export * from './feed';
export * from './head';
export * from './link';
export * from './marks';
