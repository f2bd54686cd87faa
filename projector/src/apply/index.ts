/** Folding sealed blocks into a partition's in-memory model, and gathering a batch's rows. Pure. */
export * from './accumulate';
export * from './apply-block';
export * from './model';
export * from './rows';
export * from './snapshot';
