export * from './abi';
export * from './config';
export * from './errors';
export * from './ledger';
export * from './log';
export * from './postgres';
