export * from './connect';
export * from './frame';
export * from './ledger';
