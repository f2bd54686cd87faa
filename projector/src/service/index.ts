/** The projector process: partitions, their feeds, batches and commits; the finality task. */
export * from './deps';
export * from './finality';
export * from './partition';
export * from './progress';
export * from './run';
export * from './runners';
