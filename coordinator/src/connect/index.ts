export * from './etcd';
export * from './read';
