import { type ChildProcess, spawn } from 'node:child_process';
import { access, constants } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { createServer } from 'node:net';
import { dirname, join } from 'node:path';
import { TickstreamError } from '@tickstream/shared/errors';
import { createJsonRpc } from './rpc';

/** Options of {@link startAnvil}. Every one has a default. */
export interface StartAnvilOptions {
  /** Interface to listen on. Default `127.0.0.1`. */
  readonly host?: string;
  /** Port for HTTP and WebSocket. Default 8545; use {@link findFreePort} in tests. */
  readonly port?: number;
  /** Default 31337. */
  readonly chainId?: number;
  /** Mine a block per transaction (default `true`); `false` mines only on `evm_mine`. */
  readonly automine?: boolean;
  /** Interval mining every `blockTime` seconds (overrides `automine`). */
  readonly blockTime?: number;
  /** Start from a state file written by `dumpState` (blocks, transactions, receipts and state). */
  readonly loadState?: string;
  /** Write the chain to this file when anvil stops. */
  readonly dumpState?: string;
  /** Genesis timestamp (seconds); fix it for a chain whose block hashes repeat from run to run. */
  readonly genesisTimestamp?: number;
  /** Block gas limit. Default 1,000,000,000 so that a block of hundreds of swaps fits. */
  readonly gasLimit?: bigint;
  /** Print anvil's own per-request logs to our stdout. Default `false` (`--silent`). */
  readonly verbose?: boolean;
  /** More command-line arguments, appended last. */
  readonly extraArgs?: readonly string[];
  /** How long to wait for the first answer. Default 60 s (loading a big state takes a while). */
  readonly readyTimeoutMs?: number;
}

/** A running anvil. */
export interface AnvilInstance {
  readonly rpcUrl: string;
  readonly wsUrl: string;
  readonly host: string;
  readonly port: number;
  readonly chainId: number;
  readonly process: ChildProcess;
  /**
   * Stops anvil and waits for its exit: SIGTERM, so that `dumpState` is written, then SIGKILL after
   * 15 s (10 minutes when a dump is being written: a big chain takes a while).
   */
  stop(): Promise<void>;
}

const running = new Set<ChildProcess>();
let exitHookInstalled = false;

/** Path of the anvil binary shipped in `@foundry-rs/anvil-linux-amd64`; throws DEVNET_ERROR if missing. */
export async function resolveAnvilBinary(): Promise<string> {
  const require = createRequire(import.meta.url);
  let bin: string;
  try {
    bin = join(dirname(require.resolve('@foundry-rs/anvil-linux-amd64/package.json')), 'bin', 'anvil');
  } catch (cause) {
    throw new TickstreamError(
      'DEVNET_ERROR',
      'the anvil binary is missing: install the npm package @foundry-rs/anvil-linux-amd64 (linux x64 only)',
      { cause },
    );
  }
  try {
    await access(bin, constants.X_OK);
  } catch (cause) {
    throw new TickstreamError('DEVNET_ERROR', `the anvil binary ${bin} is missing or not executable`, {
      cause,
    });
  }
  return bin;
}

/**
 * Finds a TCP port that is free right now on `host` (the OS picks it). Another process may take it
 * before you do; good enough for tests.
 */
export function findFreePort(host = '127.0.0.1'): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, host, () => {
      const address = server.address();
      const port = typeof address === 'object' && address !== null ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
}

function assertPortFree(host: string, port: number): Promise<void> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', (cause: NodeJS.ErrnoException) => {
      reject(
        new TickstreamError(
          'DEVNET_ERROR',
          `cannot start anvil: port ${host}:${port} is taken (${cause.code})`,
          {
            cause,
            details: { host, port },
          },
        ),
      );
    });
    server.listen(port, host, () => server.close(() => resolve()));
  });
}

/**
 * Starts anvil (from the npm package `@foundry-rs/anvil-linux-amd64`) and resolves once it answers
 * `eth_chainId`. Fails with DEVNET_ERROR when the binary is missing, the port is taken or anvil exits
 * before it answers.
 *
 * @example
 * const anvil = await startAnvil({ port: await findFreePort(), automine: false });
 * try {
 *   // ... use anvil.rpcUrl / anvil.wsUrl
 * } finally {
 *   await anvil.stop();
 * }
 */
export async function startAnvil(opts: StartAnvilOptions = {}): Promise<AnvilInstance> {
  const host = opts.host ?? '127.0.0.1';
  const port = opts.port ?? 8545;
  const chainId = opts.chainId ?? 31337;
  const bin = await resolveAnvilBinary();
  await assertPortFree(host, port);

  const args = ['--host', host, '--port', String(port), '--chain-id', String(chainId)];
  args.push('--gas-limit', String(opts.gasLimit ?? 1_000_000_000n));
  if (opts.blockTime !== undefined) args.push('--block-time', String(opts.blockTime));
  else if (opts.automine === false) args.push('--no-mining');
  if (opts.loadState !== undefined) args.push('--load-state', opts.loadState);
  if (opts.dumpState !== undefined) args.push('--dump-state', opts.dumpState);
  if (opts.genesisTimestamp !== undefined) args.push('--timestamp', String(opts.genesisTimestamp));
  if (opts.verbose !== true) args.push('--silent');
  args.push(...(opts.extraArgs ?? []));

  const child = spawn(bin, args, { stdio: ['ignore', opts.verbose === true ? 'inherit' : 'ignore', 'pipe'] });
  track(child);
  let stderr = '';
  child.stderr?.setEncoding('utf8');
  child.stderr?.on('data', (chunk: string) => {
    stderr = (stderr + chunk).slice(-4000);
  });
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => {
    child.once('exit', (code, signal) => resolve({ code, signal }));
  });
  const spawnFailed = new Promise<Error>((resolve) => child.once('error', resolve));

  const rpcUrl = `http://${host}:${port}`;
  const instance: AnvilInstance = {
    rpcUrl,
    wsUrl: `ws://${host}:${port}`,
    host,
    port,
    chainId,
    process: child,
    stop: async () => {
      if (child.exitCode !== null || child.signalCode !== null) return;
      const timer = setTimeout(() => child.kill('SIGKILL'), opts.dumpState === undefined ? 15_000 : 600_000);
      child.kill('SIGTERM');
      await exited;
      clearTimeout(timer);
    },
  };

  const failure = Promise.race([
    exited.then(({ code, signal }) => {
      const inUse = /address already in use/i.test(stderr);
      return new TickstreamError(
        'DEVNET_ERROR',
        inUse
          ? `cannot start anvil: port ${host}:${port} is taken`
          : `anvil exited before it answered (code ${code}, signal ${signal}): ${stderr.trim().slice(-500)}`,
        { details: { args, stderr } },
      );
    }),
    spawnFailed.then(
      (cause) => new TickstreamError('DEVNET_ERROR', `cannot run the anvil binary ${bin}`, { cause }),
    ),
  ]);
  try {
    await waitUntilAnswers(rpcUrl, chainId, failure, opts.readyTimeoutMs ?? 60_000);
  } catch (err) {
    await instance.stop();
    throw err;
  }
  return instance;
}

/** Polls `eth_chainId` until anvil answers with `chainId`, anvil dies, or the time is up. */
async function waitUntilAnswers(
  rpcUrl: string,
  chainId: number,
  failure: Promise<TickstreamError>,
  timeoutMs: number,
): Promise<void> {
  const rpc = createJsonRpc(rpcUrl);
  const deadline = Date.now() + timeoutMs;
  let failed: TickstreamError | undefined;
  void failure.then((err) => {
    failed = err;
  });
  let delay = 5;
  for (;;) {
    if (failed !== undefined) throw failed;
    try {
      const answer = await rpc.request<string>('eth_chainId');
      if (Number(answer) !== chainId) {
        throw new TickstreamError(
          'DEVNET_ERROR',
          `the node at ${rpcUrl} has chain id ${Number(answer)}, not ${chainId}`,
        );
      }
      return;
    } catch (err) {
      if (err instanceof TickstreamError && !err.retryable) throw err;
    }
    if (Date.now() > deadline) {
      throw new TickstreamError('DEVNET_ERROR', `anvil did not answer on ${rpcUrl} within ${timeoutMs} ms`);
    }
    // Wait for the next attempt, or for anvil's exit, whichever comes first.
    await Promise.race([new Promise((r) => setTimeout(r, delay)), failure]);
    delay = Math.min(delay * 2, 100);
  }
}

function track(child: ChildProcess): void {
  running.add(child);
  child.once('exit', () => running.delete(child));
  if (!exitHookInstalled) {
    exitHookInstalled = true;
    // Never leave an anvil behind when the parent process exits.
    process.once('exit', () => {
      for (const c of running) c.kill('SIGKILL');
    });
  }
}
