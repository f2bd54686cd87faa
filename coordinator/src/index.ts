/**
 * The Tickstream coordinator: leader election with fencing on etcd, the reorg context and protocol,
 * the module registry. Modules use `@tickstream/coordinator/client`; operators the `tickstream` CLI.
 */
export * from './config';
export * from './connect';
export * from './context';
export * from './election';
export * from './layout';
export * from './modules';
export * from './protocol';
