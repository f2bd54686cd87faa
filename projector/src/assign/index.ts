/**
 * Partitions shared by projector processes through etcd: the plan (pure), the lease, the assigner, and
 * the fence a new owner puts up in Postgres.
 */
export * from './assigner';
export * from './fence';
export * from './lease';
export * from './plan';
