import { type ChildProcess, spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { serviceArgs } from '@tickstream/deploy/run';

const root = fileURLToPath(new URL('../../../', import.meta.url));

export interface ServiceProcess {
  readonly child: ChildProcess;
  /** Everything it printed so far (stdout + stderr). */
  output(): string;
  /** Resolves with the exit code (null when killed by a signal) and signal. */
  readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  /** Resolves when a printed line matches. */
  waitForLine(re: RegExp, timeoutMs?: number): Promise<string>;
  kill(signal?: NodeJS.Signals): Promise<void>;
}

/**
 * Node options of every service process, before its code (`TICKSTREAM_SERVICE_NODE_ARGS`,
 * space-separated, e.g. `--cpu-prof --cpu-prof-dir=/tmp/prof` to profile a bench's services: Node
 * refuses those in NODE_OPTIONS).
 */
const nodeArgs = (process.env.TICKSTREAM_SERVICE_NODE_ARGS ?? '').split(' ').filter((a) => a !== '');

/**
 * Runs a service entry point (`ingest/src/main.ts`, …) as its own Node process with `env` (its bundle,
 * as `npm start` runs it: `serviceArgs`), in one process (no wrapper), so that `kill -9` hits the
 * service itself.
 */
export function spawnService(entry: string, env: Record<string, string>): ServiceProcess {
  const child = spawn(process.execPath, [...nodeArgs, ...serviceArgs(entry)], {
    cwd: root,
    env: { ...process.env, LOG_LEVEL: 'info', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  const listeners = new Set<() => void>();
  const onData = (d: Buffer) => {
    out += d.toString('utf8');
    for (const l of listeners) l();
  };
  child.stdout!.on('data', onData);
  child.stderr!.on('data', onData);
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    child.once('exit', (code, signal) => {
      for (const l of listeners) l();
      resolve({ code, signal });
    }),
  );
  return {
    child,
    output: () => out,
    exited,
    waitForLine(re, timeoutMs = 60_000) {
      return new Promise((resolve, reject) => {
        const check = () => {
          const line = out.split('\n').find((l) => re.test(l));
          if (line !== undefined) {
            listeners.delete(check);
            clearTimeout(t);
            resolve(line);
          } else if (child.exitCode !== null || child.signalCode !== null) {
            listeners.delete(check);
            clearTimeout(t);
            reject(new Error(`process exited before printing ${re}; output:\n${out.slice(-3000)}`));
          }
        };
        const t = setTimeout(() => {
          listeners.delete(check);
          reject(new Error(`no line matching ${re} within ${timeoutMs} ms; output:\n${out.slice(-3000)}`));
        }, timeoutMs);
        listeners.add(check);
        check();
      });
    },
    /** Sends `signal`; a process still running 15 s later is killed (SIGKILL) and said so on stderr. */
    async kill(signal = 'SIGTERM') {
      if (child.exitCode === null && child.signalCode === null) child.kill(signal);
      const timer = setTimeout(() => {
        process.stderr.write(`${entry} (pid ${child.pid}): still running 15 s after ${signal}; SIGKILL\n`);
        child.kill('SIGKILL');
      }, 15_000);
      await exited;
      clearTimeout(timer);
    },
  };
}
