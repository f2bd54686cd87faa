/** The projector process: partitions, their feeds, batches and commits. */
export * from './deps';
export * from './partition';
export * from './progress';
export * from './run';
