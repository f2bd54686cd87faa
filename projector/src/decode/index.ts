/** Ledger log entries → the fold's typed events, by hand-written ABI decoding. */
export * from './decode';
export * from './words';
