/**
 * Real servers for tests and local stacks, as child processes on loopback: etcd (one member or a
 * cluster), NATS with JetStream, fresh Postgres databases; plus the polling helpers they use.
 * Import as `@tickstream/deploy/local`.
 */

export { testPrefix } from '../cleanup/streams';
export {
  type EtcdCluster,
  EtcdMember,
  type EtcdPeer,
  isEtcdHealthy,
  type StartEtcdClusterOptions,
  type StartEtcdOptions,
  startEtcd,
  startEtcdCluster,
} from './etcd';
export { isNatsHealthy, NatsServer, type StartNatsOptions, startNats } from './nats';
export {
  type CreateTestDatabaseOptions,
  createTestDatabase,
  DEFAULT_PG_ADMIN_URL,
  type TestDatabase,
} from './postgres';
export { DATA_ROOT, REPO_ROOT, type ServerExit, ServerProcess, type StopOptions } from './process';
export { freePort, freePorts, getJson, isPortOpen, type WaitForOptions, waitFor } from './wait';
