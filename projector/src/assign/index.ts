/** Partitions shared by projector processes through etcd: the plan (pure), the lease, the assigner. */
export * from './assigner';
export * from './lease';
export * from './plan';
