import { spawn } from 'node:child_process';

/** The projections `tickstream rebuild --projection` accepts (see projector/src/rebuild/projections.ts). */
export const PROJECTIONS = ['all', 'pools', 'tokens'] as const;

/** The arguments of `rebuild`, checked: passed on to the projector's rebuild entry point. */
export interface RebuildArgs {
  readonly projection: (typeof PROJECTIONS)[number];
  readonly swap: boolean;
  readonly json: boolean;
}

/**
 * Pure: checks `rebuild` options; returns a message naming the bad option, or the arguments.
 *
 * @example parseRebuildArgs({ projection: 'pools' }) // { projection: 'pools', swap: true, json: false }
 */
export function parseRebuildArgs(opts: {
  readonly projection?: string | undefined;
  readonly 'no-swap'?: boolean | undefined;
  readonly json?: boolean | undefined;
}): RebuildArgs | string {
  const projection = opts.projection ?? 'all';
  if (!(PROJECTIONS as readonly string[]).includes(projection)) {
    return `--projection must be one of ${PROJECTIONS.join(', ')}, got ${JSON.stringify(projection)}`;
  }
  return {
    projection: projection as RebuildArgs['projection'],
    swap: opts['no-swap'] !== true,
    json: opts.json === true,
  };
}

/** The argv of the projector's rebuild entry point for `args`. */
export function rebuildArgv(args: RebuildArgs): string[] {
  return [
    '--projection',
    args.projection,
    ...(args.swap ? [] : ['--no-swap']),
    ...(args.json ? ['--json'] : []),
  ];
}

/**
 * Runs the rebuild (`projector/src/rebuild/main.ts`) as a child process with this process's
 * environment (DATABASE_URL, NATS_URL, CHAIN_ID, …: the projector's settings) and terminal, and
 * resolves to its exit code. A child process, not an import: the projector depends on this package,
 * and a rebuild wants its own heap. Ctrl-C reaches the child through the terminal's process group.
 *
 * @example process.exitCode = await runRebuild({ projection: 'all', swap: true, json: false });
 */
export function runRebuild(args: RebuildArgs, env: Record<string, string | undefined>): Promise<number> {
  const entry = new URL('./main.ts', import.meta.resolve('@tickstream/projector/rebuild'));
  const child = spawn(
    process.execPath,
    ['--import', import.meta.resolve('tsx'), entry.pathname, ...rebuildArgv(args)],
    { stdio: 'inherit', env },
  );
  return new Promise((resolve, reject) => {
    child.once('error', reject);
    child.once('exit', (code, signal) => resolve(code ?? (signal === null ? 1 : 130)));
  });
}
