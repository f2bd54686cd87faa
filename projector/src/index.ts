/**
 * The projector: folds the ledger into exact Uniswap V3 state in Postgres (the truth) and Redis.
 * Stages: consume (JetStream → sealed blocks) → decode (logs → events) → apply (fold, rows) → store.
 */
export * from './apply';
export * from './assign';
export * from './config';
export * from './consume';
export * from './control';
export * from './decode';
export * from './rewind';
export * from './service';
export * from './store';
