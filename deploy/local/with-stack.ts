/**
 * Runs a command with the local stack up:
 *
 *   tsx deploy/local/with-stack.ts -- vitest run
 *
 * Makes sure etcd answers on 127.0.0.1:2379 (starting one with data in .data/etcd when none does) and
 * that PostgreSQL, Redis and NATS answer (`npm run setup` starts those), sets ETCD_URL, NATS_URL,
 * DATABASE_URL and REDIS_URL for the command when they are not set already, runs it with this terminal,
 * forwards SIGINT/SIGTERM/SIGHUP to it, then stops what it started and exits with the command's code.
 */
import { spawn } from 'node:child_process';
import { constants } from 'node:os';
import { delimiter, join } from 'node:path';
import { describeError } from '@tickstream/shared/errors';
import { REPO_ROOT } from './services/index';
import { ensureLocalStack, type LocalStack } from './stack';

const FORWARDED = ['SIGINT', 'SIGTERM', 'SIGHUP'] as const;

function say(line: string): void {
  process.stderr.write(`with-stack: ${line}\n`);
}

function exitCodeOf(code: number | null, signal: NodeJS.Signals | null): number {
  if (code !== null) return code;
  return 128 + (signal === null ? 0 : (constants.signals[signal] ?? 0));
}

async function main(argv: readonly string[]): Promise<number> {
  const dashes = argv.indexOf('--');
  const command = dashes >= 0 ? argv.slice(dashes + 1) : [...argv];
  const [bin, ...args] = command;
  if (bin === undefined) {
    say('usage: tsx deploy/local/with-stack.ts -- <command> [args...]');
    return 2;
  }

  // A signal before the command runs: finish starting, then stop everything and leave.
  let early: NodeJS.Signals | undefined;
  const onEarlySignal = (signal: NodeJS.Signals) => {
    early ??= signal;
  };
  for (const signal of FORWARDED) process.on(signal, onEarlySignal);

  let stack: LocalStack;
  try {
    stack = await ensureLocalStack({ log: say });
  } catch (err) {
    say(describeError(err));
    return 1;
  }
  if (early !== undefined) {
    await stack.stop();
    return exitCodeOf(null, early);
  }

  const binDir = join(REPO_ROOT, 'node_modules', '.bin');
  const path = process.env.PATH ?? '';
  const env = {
    ...process.env,
    ...stack.env,
    PATH: path.split(delimiter).includes(binDir) ? path : `${binDir}${delimiter}${path}`,
  };
  const child = spawn(bin, args, { stdio: 'inherit', env });
  const forward = (signal: NodeJS.Signals) => {
    if (child.exitCode === null && child.signalCode === null) child.kill(signal);
  };
  for (const signal of FORWARDED) {
    process.off(signal, onEarlySignal);
    process.on(signal, forward);
  }
  const code = await new Promise<number>((resolve) => {
    child.once('error', (err) => {
      say(`could not run ${bin}: ${err.message}`);
      resolve(127);
    });
    child.once('exit', (exitCode, signal) => resolve(exitCodeOf(exitCode, signal)));
  });

  try {
    await stack.stop();
  } catch (err) {
    say(`could not stop the stack: ${describeError(err)}`);
    return code === 0 ? 1 : code;
  }
  return code;
}

main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (err: unknown) => {
    say(describeError(err));
    process.exit(1);
  },
);
