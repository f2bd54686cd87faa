export * from './connect';
export * from './ledger';
