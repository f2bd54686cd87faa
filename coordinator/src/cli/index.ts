/** The `tickstream` operator CLI, callable in-process. Import as `@tickstream/coordinator/cli`. */
export type { CommandContext, ExitCode } from './commands';
export { ageOf, duration, table } from './format';
export { PROJECTIONS, parseRebuildArgs, type RebuildArgs, rebuildArgv, runRebuild } from './rebuild';
export { type CliIo, runCli, USAGE } from './run';
export { type ModuleRow, readStatus, type StatusView } from './view';
export { parseWatchArgs, type WatchAddArgs, type WatchRow } from './watch';
