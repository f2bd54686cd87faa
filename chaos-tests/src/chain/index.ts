export * from './reorg';
