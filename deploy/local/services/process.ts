import { type ChildProcess, spawn } from 'node:child_process';
import { accessSync, closeSync, constants, mkdirSync, openSync, readSync, rmSync, statSync } from 'node:fs';
import { delimiter, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { TickstreamError } from '@tickstream/shared/errors';
import { createLogger } from '@tickstream/shared/log';
import { isPortOpen, waitFor } from './wait';

const log = createLogger('local-stack');

/** The repository root (three levels above this file). */
export const REPO_ROOT: string = fileURLToPath(new URL('../../../', import.meta.url));

/** Where local servers keep their data: `<repo>/.data` (gitignored). */
export const DATA_ROOT: string = join(REPO_ROOT, '.data');

/** How a server process is started; `restart()` reuses it as is. */
export interface ServerSpec {
  /** Human name used in logs and errors ("etcd member a", "nats"). */
  readonly label: string;
  readonly bin: string;
  readonly args: readonly string[];
  /** The server's own directory; its output goes to `<dir>/server.log`. */
  readonly dir: string;
  readonly env?: NodeJS.ProcessEnv;
  /** True when the server answers; polled after each start. */
  readonly isReady: () => Promise<boolean>;
  /** What readiness means, for the timeout error ("healthy on http://127.0.0.1:2379/health"). */
  readonly readyWhat: string;
  readonly startTimeoutMs: number;
  /**
   * Start in a process group of its own, so that a Ctrl-C in the terminal reaches only us and we stop
   * the server ourselves (after the command using it). Default false: the server dies with the group.
   */
  readonly ownProcessGroup?: boolean;
  /** Started on an emptied directory: `stop()` removes the directory (etcd preallocates 64 MB of WAL). */
  readonly ephemeral?: boolean;
}

export interface StopOptions {
  /** Time between SIGTERM and SIGKILL (default 10 s). */
  readonly timeoutMs?: number;
  /** Remove the server's directory once it has exited (default: true for servers started on fresh data). */
  readonly removeData?: boolean;
}

/** How a server process ended. */
export interface ServerExit {
  readonly code: number | null;
  readonly signal: NodeJS.Signals | null;
}

/** Running children, with the directory to remove at exit (ephemeral servers). */
const live = new Map<ChildProcess, string | undefined>();
let exitHookInstalled = false;

/** Servers die with the process that started them, even when a test forgets to stop them. */
function installExitHook(): void {
  if (exitHookInstalled) return;
  exitHookInstalled = true;
  process.once('exit', () => {
    for (const [child, dir] of live) {
      try {
        child.kill('SIGKILL');
        if (dir !== undefined) rmSync(dir, { recursive: true, force: true });
      } catch {
        // already gone
      }
    }
  });
}

/**
 * One server running as our child process, with its output in `<dir>/server.log`. Made by `startEtcd`,
 * `startNats`; gives the stop and chaos controls (`kill9`, `pause`, `resume`, `restart`).
 */
export class ServerProcess {
  readonly label: string;
  readonly dir: string;
  readonly logFile: string;
  readonly #spec: ServerSpec;
  #child: ChildProcess | undefined;
  #exited: Promise<ServerExit> = Promise.resolve({ code: null, signal: null });
  #exit: ServerExit | undefined;
  #paused = false;

  constructor(spec: ServerSpec) {
    this.#spec = spec;
    this.label = spec.label;
    this.dir = spec.dir;
    this.logFile = join(spec.dir, 'server.log');
  }

  /** The OS process id of the current run. */
  get pid(): number {
    const pid = this.#child?.pid;
    if (pid === undefined) throw new TickstreamError('STACK_ERROR', `${this.label} is not running`);
    return pid;
  }

  /** True while the process has not exited (a paused process is running). */
  get running(): boolean {
    return this.#child !== undefined && this.#exit === undefined;
  }

  /** How the last run ended, or undefined while it runs. */
  get exitStatus(): ServerExit | undefined {
    return this.#exit;
  }

  /** Spawns the process and waits until it is ready; on failure the process is killed. */
  async start(): Promise<void> {
    this.spawn();
    await this.waitReady();
  }

  /** Spawns the process without waiting (for cluster members that only get healthy together). */
  spawn(): void {
    if (this.running) throw new TickstreamError('STACK_ERROR', `${this.label} is already running`);
    mkdirSync(this.dir, { recursive: true });
    const fd = openSync(this.logFile, 'a');
    let child: ChildProcess;
    try {
      child = spawn(this.#spec.bin, [...this.#spec.args], {
        cwd: this.dir,
        env: this.#spec.env ?? process.env,
        stdio: ['ignore', fd, fd],
        detached: this.#spec.ownProcessGroup === true,
      });
    } finally {
      closeSync(fd);
    }
    this.#child = child;
    this.#exit = undefined;
    this.#paused = false;
    live.set(child, this.#spec.ephemeral === true ? this.dir : undefined);
    installExitHook();
    this.#exited = new Promise<ServerExit>((resolve) => {
      const finish = (exit: ServerExit) => {
        live.delete(child);
        if (this.#child === child) this.#exit = exit;
        resolve(exit);
      };
      child.once('exit', (code, signal) => finish({ code, signal }));
      child.once('error', (err) => {
        log.error({ err, server: this.label }, 'could not spawn');
        finish({ code: null, signal: null });
      });
    });
    log.debug({ server: this.label, pid: child.pid, args: this.#spec.args }, 'spawned');
  }

  /** Polls readiness; throws STACK_ERROR (with the end of the log) when the process exits or times out. */
  async waitReady(): Promise<void> {
    try {
      await waitFor(
        async () => {
          if (!this.running) {
            const exit = this.#exit;
            throw new TickstreamError(
              'STACK_ERROR',
              `${this.label} exited before it was ready (code ${exit?.code ?? 'none'}, signal ${exit?.signal ?? 'none'})`,
            );
          }
          return this.#spec.isReady();
        },
        { timeoutMs: this.#spec.startTimeoutMs, what: `${this.label} ${this.#spec.readyWhat}` },
      );
    } catch (err) {
      if (this.running) await this.kill9();
      const tail = this.logTail();
      throw new TickstreamError(
        'STACK_ERROR',
        `${this.label} did not start: ${(err as Error).message}; last output (${this.logFile}):\n${tail}`,
        { cause: err, details: { logFile: this.logFile } },
      );
    }
    log.debug({ server: this.label, pid: this.#child?.pid }, 'ready');
  }

  /**
   * SIGTERM, then SIGKILL after `timeoutMs`; resolves when the process has exited, then removes the
   * directory of an ephemeral server (see `StopOptions.removeData`). Idempotent; also cleans up after `kill9`.
   */
  async stop(opts: StopOptions = {}): Promise<void> {
    await this.#terminate(opts.timeoutMs ?? 10_000);
    if (opts.removeData ?? this.#spec.ephemeral === true) rmSync(this.dir, { recursive: true, force: true });
  }

  async #terminate(timeoutMs: number): Promise<void> {
    const child = this.#child;
    if (child === undefined || !this.running) return;
    child.kill('SIGTERM');
    if (this.#paused) child.kill('SIGCONT');
    let timer: NodeJS.Timeout | undefined;
    const timedOut = new Promise<'timeout'>((resolve) => {
      timer = setTimeout(() => resolve('timeout'), timeoutMs);
    });
    const result = await Promise.race([this.#exited, timedOut]);
    clearTimeout(timer);
    if (result === 'timeout') {
      log.warn({ server: this.label, timeoutMs }, 'did not stop on SIGTERM; sending SIGKILL');
      await this.kill9();
    }
  }

  /** SIGKILL (a crash, for chaos tests); resolves when the process has exited. */
  async kill9(): Promise<void> {
    const child = this.#child;
    if (child === undefined || !this.running) return;
    child.kill('SIGKILL');
    await this.#exited;
  }

  /** SIGSTOP: the process freezes (its ports still accept connections, nothing answers). */
  pause(): void {
    if (!this.running) throw new TickstreamError('STACK_ERROR', `${this.label} is not running`);
    this.#child?.kill('SIGSTOP');
    this.#paused = true;
  }

  /** SIGCONT after `pause()`. */
  resume(): void {
    if (!this.running) throw new TickstreamError('STACK_ERROR', `${this.label} is not running`);
    this.#child?.kill('SIGCONT');
    this.#paused = false;
  }

  /** Stops the process if it runs, then starts it again with the same arguments and data. */
  async restart(opts: Pick<StopOptions, 'timeoutMs'> = {}): Promise<void> {
    await this.#terminate(opts.timeoutMs ?? 10_000);
    await this.start();
  }

  /** The last `bytes` of the server's output. */
  logTail(bytes = 4_000): string {
    try {
      const size = statSync(this.logFile).size;
      const length = Math.min(size, bytes);
      const buf = Buffer.alloc(length);
      const fd = openSync(this.logFile, 'r');
      try {
        readSync(fd, buf, 0, length, size - length);
      } finally {
        closeSync(fd);
      }
      return buf.toString('utf8');
    } catch {
      return '(no output)';
    }
  }
}

/** Empties `dir` (used for fresh servers; `keepData` skips it). */
export function resetDir(dir: string): void {
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(dir, { recursive: true });
}

/**
 * Finds an executable: `override` if given, else `name` on PATH, /usr/sbin or /usr/bin.
 * Throws STACK_ERROR telling how to install it when absent.
 */
export function findBinary(name: string, override: string | undefined, debianPackage: string): string {
  const candidates =
    override !== undefined
      ? [override]
      : [...(process.env.PATH ?? '').split(delimiter).filter((d) => d !== ''), '/usr/sbin', '/usr/bin'].map(
          (d) => join(d, name),
        );
  for (const path of candidates) {
    try {
      accessSync(path, constants.X_OK);
      return path;
    } catch {
      // next
    }
  }
  throw new TickstreamError(
    'STACK_ERROR',
    `${override ?? name} not found: run \`npm run setup\` (installs the Debian package ${debianPackage})`,
  );
}

/** The environment without the variables a server would misread (etcd reads every ETCD_* variable). */
export function envWithout(prefix: string): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [key, value] of Object.entries(process.env)) {
    if (!key.startsWith(prefix)) env[key] = value;
  }
  return env;
}

/**
 * Throws STACK_ERROR when something already answers on one of `ports` (checked before a data directory
 * is emptied, so that starting a second server on a busy port cannot wipe the first one's data).
 */
export async function assertPortsFree(label: string, ports: readonly number[]): Promise<void> {
  const busy: number[] = [];
  for (const port of ports) if (await isPortOpen(port)) busy.push(port);
  if (busy.length > 0) {
    throw new TickstreamError(
      'STACK_ERROR',
      `${label}: port ${busy.join(', ')} on 127.0.0.1 is already in use`,
    );
  }
}
