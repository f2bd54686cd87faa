import { parseArgs } from 'node:util';
import { describeError, isTickstreamError, loadConfig } from '@tickstream/shared';
import { loadCoordinatorSettings } from '../config';
import { assertEtcdReachable, connectEtcd } from '../connect';
import * as commands from './commands';
import { parseRebuildArgs, runRebuild } from './rebuild';
import { parseWatchArgs, watchAdd, watchList, watchRemove } from './watch';

export const USAGE = `Usage: tickstream <command> [options]

Commands:
  status            leader and token, reorg in progress, last reorg, modules, halts
  modules           registered modules: state, block, lag, heartbeat age, last token
  reorgs            finished reorgs, newest first
  pause             ask the leader to pause every module (applied between reorgs)
  resume            ask the leader to resume every module
  rollback --to N   roll the pipeline back so that block N is the last kept, then restore
  resign            ask the leader to hand leadership to another coordinator
  watch add <address> [--from N] [--kind pool|factory]
                    follow one more pool (or a factory and its pools) from now on and backfill
                    its history from block N (default START_BLOCK) while the head keeps following
  watch list        watched addresses and ingest's progress on each
  watch remove <address>
                    take an address off the watch list: a history backfill not finished is
                    cancelled; an address already followed stays followed
  rebuild [--projection all|pools|tokens] [--no-swap]
                    replay the ledger (no RPC) into fresh tables with progress, then swap them in
                    under the running projector; uses the projector's settings (DATABASE_URL,
                    NATS_URL, …), not etcd

Options:
  --json            machine-readable output
  --to N            (rollback) the last block to keep
  --wait            (rollback) wait until the rollback is DONE, not just started
  --timeout MS      how long to wait for the leader to act (default 10000)
  --from N          (watch add) the first block of the history to backfill
  --kind K          (watch add) pool (default) or factory
  --projection P    (rebuild) all (default), pools or tokens
  --no-swap         (rebuild) leave the rebuilt tables in schema tickstream_rebuild
  -h, --help        this text

Environment: ETCD_URL (default http://127.0.0.1:2379), CHAIN_ID (default 31337),
  CLI_ETCD_TIMEOUT_MS (default 2000), TICKSTREAM_CONFIG.
Exit codes: 0 done; 1 the leader did not act in time (rebuild: failed); 2 bad arguments or etcd
  unreachable.`;

const COMMANDS = [
  'status',
  'modules',
  'reorgs',
  'pause',
  'resume',
  'rollback',
  'resign',
  'watch',
  'rebuild',
] as const;
type CommandName = (typeof COMMANDS)[number];

export interface CliIo {
  readonly env?: Record<string, string | undefined>;
  readonly out?: (text: string) => void;
  readonly err?: (text: string) => void;
}

function wholeNumber(name: string, text: string | undefined, min: number): number | string {
  if (text === undefined) return `${name} is required`;
  if (!/^\d+$/.test(text) || Number(text) < min || !Number.isSafeInteger(Number(text))) {
    return `${name} must be a whole number >= ${min}, got ${JSON.stringify(text)}`;
  }
  return Number(text);
}

/**
 * Runs the `tickstream` CLI with `argv` (without node and script) and returns the exit code.
 *
 * @example
 * process.exitCode = await runCli(['status', '--json']);
 */
export async function runCli(argv: readonly string[], io: CliIo = {}): Promise<number> {
  const out = io.out ?? ((t: string) => process.stdout.write(`${t}\n`));
  const err = io.err ?? ((t: string) => process.stderr.write(`${t}\n`));
  const usage = (problem: string) => {
    err(`tickstream: ${problem}\n\n${USAGE}`);
    return 2;
  };
  let parsed: ReturnType<typeof parse>;
  try {
    parsed = parse(argv);
  } catch (e) {
    return usage((e as Error).message);
  }
  const { values, positionals } = parsed;
  if (values.help) {
    out(USAGE);
    return 0;
  }
  const [name, ...extra] = positionals;
  if (name === undefined) return usage('a command is required');
  if (!(COMMANDS as readonly string[]).includes(name))
    return usage(`unknown command ${JSON.stringify(name)}`);
  const command = name as CommandName;
  // Commands with sub-commands check their own positionals and options.
  const watch = command === 'watch' ? parseWatchArgs(extra, values) : null;
  if (typeof watch === 'string') return usage(watch);
  if (command !== 'watch' && (values.from !== undefined || values.kind !== undefined))
    return usage('--from and --kind only go with watch add');
  if (watch === null && extra.length > 0) return usage(`unexpected argument ${JSON.stringify(extra[0])}`);
  if (command !== 'rebuild' && (values.projection !== undefined || values['no-swap'] === true))
    return usage('--projection and --no-swap only go with rebuild');
  if (command === 'rebuild') {
    const rebuild = parseRebuildArgs(values);
    if (typeof rebuild === 'string') return usage(rebuild);
    return await runRebuild(rebuild, io.env ?? process.env);
  }
  if (command !== 'rollback' && (values.to !== undefined || values.wait)) {
    return usage(`--to and --wait only go with rollback`);
  }
  const toBlock = command === 'rollback' ? wholeNumber('--to', values.to, 0) : 0;
  if (typeof toBlock === 'string') return usage(toBlock);
  const timeoutMs = values.timeout === undefined ? 10_000 : wholeNumber('--timeout', values.timeout, 1);
  if (typeof timeoutMs === 'string') return usage(timeoutMs);

  let cfg: ReturnType<typeof loadConfig<'cli'>>;
  let connectTimeoutMs: number;
  try {
    cfg = loadConfig('cli', io.env ?? process.env);
    connectTimeoutMs = loadCoordinatorSettings(io.env ?? process.env).CLI_ETCD_TIMEOUT_MS;
  } catch (e) {
    err(`tickstream: ${describeError(e)}`);
    return 2;
  }
  const etcd = connectEtcd(cfg.ETCD_URL, { callTimeoutMs: Math.max(connectTimeoutMs, 1_000), attempts: 1 });
  try {
    await assertEtcdReachable(etcd, cfg.ETCD_URL, connectTimeoutMs);
    const ctx = { etcd, chainId: cfg.CHAIN_ID, json: values.json === true, timeoutMs, print: out };
    switch (command) {
      case 'status':
        return await commands.status(ctx);
      case 'modules':
        return await commands.modules(ctx);
      case 'reorgs':
        return await commands.reorgs(ctx);
      case 'pause':
      case 'resume':
        return await commands.operatorRequest(ctx, command);
      case 'rollback':
        return await commands.rollback(ctx, toBlock, values.wait === true);
      case 'resign':
        return await commands.resign(ctx);
      case 'watch':
        if (watch === null) return 2;
        if (watch.sub === 'add') return await watchAdd(ctx, watch.args);
        if (watch.sub === 'remove') return await watchRemove(ctx, watch.address);
        return await watchList(ctx);
    }
  } catch (e) {
    if (isTickstreamError(e, 'COORDINATOR_UNAVAILABLE')) {
      err(`tickstream: ${e.message}`);
      return 2;
    }
    err(`tickstream: ${describeError(e).split('\n')[0]}`);
    return 1;
  } finally {
    etcd.close();
  }
}

function parse(argv: readonly string[]) {
  return parseArgs({
    args: [...argv],
    allowPositionals: true,
    strict: true,
    options: {
      json: { type: 'boolean' },
      to: { type: 'string' },
      wait: { type: 'boolean' },
      timeout: { type: 'string' },
      from: { type: 'string' },
      kind: { type: 'string' },
      projection: { type: 'string' },
      'no-swap': { type: 'boolean' },
      help: { type: 'boolean', short: 'h' },
    },
  });
}
