/**
 * The module side of the control plane, for ingest, projector and api: register with a lease, receive
 * fenced commands, acknowledge steps, report reorgs and halts. Import as `@tickstream/coordinator/client`.
 */
export { connectEtcd, etcdHosts } from '../connect';
export type { Ack, Command, ModuleKind, ModuleState, ModuleStatus, Step } from '../layout';
export { keysFor, MODULE_KINDS } from '../layout';
export {
  isAddress,
  WATCH_KINDS,
  type WatchKind,
  type WatchRequest,
  type WatchStatus,
  watchKeysFor,
  watchRequestSchema,
  watchStatusSchema,
} from '../layout/watch';
export { type CommandDecision, type CommandMemory, decideCommand, liftsHalt, stateAfter } from './decide';
export {
  type CommandHandler,
  type ModuleHandle,
  type RegisterModuleOptions,
  registerModule,
  type StatusPatch,
} from './register';
export { clearHalt, type ReportHaltParams, type ReportReorgParams, reportHalt, reportReorg } from './reports';
